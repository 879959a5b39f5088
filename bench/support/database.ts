import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { startEmbeddedPostgres } from '../../src/infra/embedded-postgres';
import { migrate } from '../../src/infra/migrations';
import { allMigrationSets } from '../../src/infra/schema';
import { freePort } from '../../test/support/free-port';

export interface BenchDatabase {
  /** Where the server came from, for the report. */
  source: 'DATABASE_URL' | 'embedded';
  /** A fresh database with every migration applied. */
  connectionString: string;
  name: string;
  /** Drops the database, and stops the server when it is embedded. */
  dispose(): Promise<void>;
}

/**
 * A fresh, migrated database `orderflow_bench_<random>` on the server in `DATABASE_URL`,
 * or on an embedded PostgreSQL in a temporary directory when it is not set.
 */
export async function openBenchDatabase(): Promise<BenchDatabase> {
  const cleanups: (() => Promise<void>)[] = [];
  // Every step runs even when an earlier one fails: the server must stop regardless.
  const dispose = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'bench database cleanup failed');
  };
  try {
    let adminUrl = process.env.DATABASE_URL;
    const source = adminUrl ? 'DATABASE_URL' : 'embedded';
    if (!adminUrl) {
      const dir = mkdtempSync(path.join(tmpdir(), 'orderflow-bench-pg-'));
      // As root the server runs as a `postgres` user, which must be able to reach its data dir.
      chmodSync(dir, 0o711);
      cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
      const pg = await startEmbeddedPostgres({
        dataDir: path.join(dir, 'data'),
        port: await freePort(),
        persistent: false,
      });
      cleanups.push(() => pg.stop());
      adminUrl = pg.connectionString;
    }

    const name = `orderflow_bench_${randomBytes(6).toString('hex')}`;
    await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
    const admin = adminUrl;
    cleanups.push(() => dropDatabase(admin, name));

    const connectionString = withDatabase(adminUrl, name);
    const pool = new Pool({ connectionString, max: 1 });
    try {
      await migrate(pool, allMigrationSets);
    } finally {
      await pool.end();
    }
    return { source, connectionString, name, dispose };
  } catch (error) {
    await dispose().catch(() => undefined); // the first failure is the one to report
    throw error;
  }
}

/** Server facts that make the figures interpretable. */
export async function serverFacts(client: Client): Promise<Record<string, string>> {
  const facts: Record<string, string> = {};
  for (const setting of [
    'server_version',
    'synchronous_commit',
    'fsync',
    'shared_buffers',
    'wal_sync_method',
  ]) {
    const { rows } = await client.query<Record<string, string>>(`SHOW ${setting}`);
    facts[setting] = rows[0]?.[setting] ?? '?';
  }
  return facts;
}

/**
 * Sessions of other databases on the same server: on a shared server they compete for the
 * CPU and the WAL, and their open write transactions hold back what readers may see.
 */
export async function otherSessions(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity
     WHERE backend_type = 'client backend' AND datname IS DISTINCT FROM current_database()`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Drops the bench database once the sessions closed by the run have gone. `pg` resolves
 * `pool.end()` before its sockets close; forcing the drop at once would kill those sessions
 * and the FATAL they receive crashes a pool that has no error listener.
 */
async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const until = Date.now() + 5000; Date.now() < until;) {
      const { rows } = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
        [name],
      );
      if (Number(rows[0]?.n) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}
