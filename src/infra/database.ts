import path from 'node:path';
import { Client, type Pool } from 'pg';
import { redactUrl, type Config } from './config';
import { acquireDataDirLock, isAlive, stopOrphanedPostgres } from './data-dir-lock';
import {
  postmasterPid,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from './embedded-postgres';
import type { Logger } from './logger';
import { openPool } from './pool';
import { migrate } from './migrations';
import { allMigrationSets } from './schema';

/** The application database: where it is, a pool on it, and how to let go of it. */
export interface Database {
  connectionString: string;
  pool: Pool;
  /** `embedded` runs in the data directory and lives as long as this process. */
  kind: 'embedded' | 'external';
  /** For humans: the URL without its password. */
  description: string;
  /** Closes the pool, then stops embedded PostgreSQL and releases the data-dir lock. */
  stop(): Promise<void>;
}

const DATABASE_NAME = 'orderflow';

/**
 * Opens the database named by `DATABASE_URL`, or, without one, takes the data-dir lock,
 * clears a PostgreSQL orphaned by a killed previous run, starts embedded PostgreSQL in
 * `<dataDir>/pg` (kept between runs) and creates the `orderflow` database on first use.
 * Either way the connection is checked before returning. Whatever was started is stopped
 * again if a later step fails.
 */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.databaseUrl) {
    const pool = await openPool(config.databaseUrl, logger);
    const description = `external PostgreSQL ${redactUrl(config.databaseUrl)}`;
    logger.info({ database: redactUrl(config.databaseUrl) }, 'connected to DATABASE_URL');
    return {
      connectionString: config.databaseUrl,
      pool,
      kind: 'external',
      description,
      stop: () => pool.end(),
    };
  }

  const lock = acquireDataDirLock(config.dataDir);
  const pgDir = path.join(config.dataDir, 'pg');
  let server: EmbeddedPostgresHandle | undefined;
  try {
    const orphan = await stopOrphanedPostgres(pgDir);
    if (orphan)
      logger.warn({ pid: orphan, pgDir }, 'stopped a PostgreSQL left running by a previous run');
    server = await startServer(pgDir, config.embeddedPgPort, logger);
    await ensureDatabase(server.connectionString, DATABASE_NAME);
    const connectionString = withDatabase(server.connectionString, DATABASE_NAME);
    const pool = await openPool(connectionString, logger);
    const embedded = server;
    logger.info({ pgDir, port: config.embeddedPgPort }, 'embedded PostgreSQL started');
    return {
      connectionString,
      pool,
      kind: 'embedded',
      description: `embedded PostgreSQL on 127.0.0.1:${config.embeddedPgPort}, database ${DATABASE_NAME}`,
      stop: async () => {
        try {
          await pool.end();
        } finally {
          await stopServer(embedded, pgDir);
          lock.release();
        }
      },
    };
  } catch (error) {
    if (server) await stopServer(server, pgDir).catch(() => undefined);
    lock.release();
    throw error;
  }
}

/** Applies pending migrations (under the migration runner's advisory lock) and logs them. */
export async function migrateDatabase(pool: Pool, logger: Logger): Promise<string[]> {
  const applied = await migrate(pool, allMigrationSets);
  if (applied.length > 0) logger.info({ applied }, `applied ${applied.length} migration(s)`);
  else logger.info('database schema up to date');
  return applied;
}

async function startServer(
  pgDir: string,
  port: number,
  logger: Logger,
): Promise<EmbeddedPostgresHandle> {
  // embedded-postgres rejects with no reason when the server exits early (port taken, bad
  // permissions): keep its last lines to say why.
  const recent: string[] = [];
  const onLog = (message: string): void => {
    const line = message.trim();
    if (!line) return;
    logger.debug({ component: 'postgres' }, line);
    recent.push(line);
    if (recent.length > 10) recent.shift();
  };
  try {
    return await startEmbeddedPostgres({ dataDir: pgDir, port, persistent: true, onLog });
  } catch (error) {
    let reason = error instanceof Error ? error.message : recent.join('\n') || 'no output';
    if (process.getuid?.() === 0 && reason.includes('Permission denied')) {
      reason += ` (as root, PostgreSQL runs as the "postgres" user: it must be able to enter every parent directory of ${pgDir}; set DATA_DIR elsewhere or chmod o+x them)`;
    }
    throw new Error(
      `Embedded PostgreSQL failed to start in ${pgDir} on port ${port} (EMBEDDED_PG_PORT): ${reason}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Stops the embedded server and waits for its postmaster to be gone. A Ctrl-C in a terminal
 * signals the whole process group, PostgreSQL included, so it may be stopping or stopped
 * already; embedded-postgres would then wait forever for an exit event that has passed.
 */
async function stopServer(server: EmbeddedPostgresHandle, pgDir: string): Promise<void> {
  const pid = postmasterPid(pgDir);
  if (pid === undefined || !isAlive(pid, /postgres/)) return;
  void server.stop().catch(() => undefined);
  const deadline = Date.now() + 60_000;
  while (isAlive(pid, /postgres/)) {
    if (Date.now() > deadline) throw new Error(`Embedded PostgreSQL (pid ${pid}) did not stop`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}
