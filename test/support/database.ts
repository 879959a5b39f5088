import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** Connection string of a fresh database with every migration applied. */
  connectionString: string;
  name: string;
  /**
   * Drops the database, closing whatever connections are still open to it: first it waits
   * up to 2 s for them to close, since `pool.end()` resolves before its sockets have closed.
   */
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test suite: a clone of the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.ORDERFLOW_TEST_ADMIN_URL;
  const template = process.env.ORDERFLOW_TEST_TEMPLATE;
  if (!adminUrl || !template) {
    throw new Error('No test database server: run this suite through jest (the int/e2e projects)');
  }
  const name = `orderflow_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`);
  return {
    name,
    connectionString: withDatabase(adminUrl, name),
    drop: () => dropWhenIdle(adminUrl, name),
  };
}

/**
 * DROP ... WITH (FORCE) terminates the sessions still connected, and a pool whose `end()`
 * resolved may still be closing some: the FATAL then arrives as an 'error' event on a pool
 * nobody listens to any more, an unhandled error that jest pins on whatever test of the
 * worker runs at that moment (a .ci/run failed so, in another suite). So the drop waits, up
 * to `patienceMs`, for the database's other sessions to end, and forces only a real leak.
 */
async function dropWhenIdle(adminUrl: string, name: string, patienceMs = 2_000): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const until = Date.now() + patienceMs; Date.now() < until;) {
      const { rowCount } = await client.query(
        'SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      if (rowCount === 0) break;
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

/** The same server, another database. */
export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}
