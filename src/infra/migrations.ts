import type { Pool, PoolClient } from 'pg';

/**
 * A versioned schema change. Each module owns its list (`component`), so the event store
 * can create its own tables without knowing about read models. Migrations are append-only:
 * never edit one that has shipped; add the next version (expand, migrate, contract).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrationSet {
  component: string;
  migrations: readonly Migration[];
}

// One lock for every component: two processes starting at once migrate one after the other.
const MIGRATION_LOCK_KEY = 7_320_001;

/**
 * Applies every pending migration of the given sets, each in its own transaction, under a
 * session advisory lock so concurrent starters never migrate twice. Returns the applied ones.
 */
export async function migrate(pool: Pool, sets: readonly MigrationSet[]): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        component text NOT NULL,
        version integer NOT NULL,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (component, version))`);
      for (const set of sets) {
        applied.push(...(await migrateSet(client, set)));
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  return applied;
}

async function migrateSet(client: PoolClient, set: MigrationSet): Promise<string[]> {
  const { rows } = await client.query<{ version: number }>(
    'SELECT version FROM schema_migrations WHERE component = $1',
    [set.component],
  );
  const done = new Set(rows.map((r) => r.version));
  const applied: string[] = [];
  for (const m of [...set.migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    await client.query('BEGIN');
    try {
      await client.query(m.sql);
      await client.query(
        'INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)',
        [set.component, m.version, m.name],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw new Error(`Migration ${set.component}#${m.version} (${m.name}) failed`, {
        cause: error,
      });
    }
    applied.push(`${set.component}#${m.version} ${m.name}`);
  }
  return applied;
}

/** True when every migration of the sets is applied (what `/ready` asks). */
export async function migrationsDone(pool: Pool, sets: readonly MigrationSet[]): Promise<boolean> {
  const exists = await pool.query<{ t: string | null }>(
    "SELECT to_regclass('schema_migrations')::text AS t",
  );
  if (!exists.rows[0]?.t) return false;
  const { rows } = await pool.query<{ component: string; version: number }>(
    'SELECT component, version FROM schema_migrations',
  );
  const have = new Set(rows.map((r) => `${r.component}#${r.version}`));
  return sets.every((s) => s.migrations.every((m) => have.has(`${s.component}#${m.version}`)));
}
