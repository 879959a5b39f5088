import { DatabaseError, escapeIdentifier, type Pool, type PoolClient } from 'pg';
import { countParked } from '../consumers';
import type { EventStore } from '../eventstore';
import type { Logger } from '../infra/logger';
import { transactionOn } from '../infra/transaction';
import type { MigrationSet } from '../infra/migrations';
import type { ProjectionDefinition } from './projection';

/**
 * Rebuilding a projection by replay without taking its read model away:
 *
 * 1. its tables are created again, empty, in a schema of their own (`rebuild_<name>`, the
 *    projection's migrations run there under `search_path`);
 * 2. every event the projection reads is applied to them from position zero, with the
 *    projection's own `handle`, while the live tables keep serving and the live runner
 *    keeps them current;
 * 3. near the head, one transaction locks the live tables, applies what the live checkpoint
 *    has applied since, drops the live tables and moves the new ones in. The runner's next
 *    batch, and any reader, waits for that transaction only, then finds the new tables
 *    (PostgreSQL looks a name up again after waiting for its lock).
 *
 * The new tables may end a little ahead of the checkpoint (an empty batch of the runner
 * moves it without touching a table); the runner then applies those events again, which a
 * projection must take (see `ProjectionDefinition`). The lock is taken with a short
 * `lock_timeout`, below PostgreSQL's deadlock check: if the live runner holds one table
 * while waiting for another, the rebuild is the one that gives up, catches up and tries
 * again. A crash leaves the live tables as they were and an orphan schema that the next
 * rebuild drops.
 */
export interface RebuildOptions {
  /** Events per transaction while replaying. */
  batchSize?: number;
  /** How long the swap waits for the live tables' locks before trying again. */
  lockTimeoutMs?: number;
  /** Swaps tried before the rebuild gives up. */
  swapAttempts?: number;
  /** Called after each replayed batch with the events applied so far. */
  onProgress?: (replayed: number) => void;
  /** Stops the rebuild between two batches (shutdown); the live tables stay as they are. */
  signal?: AbortSignal;
  /** Runs after each catch-up, just before the swap locks the live tables (tests). */
  beforeSwap?: () => Promise<void>;
}

export interface RebuildResult {
  /** Events applied to the new tables, the swap's tail included. */
  replayed: number;
  /** Where the new tables stand: every matching event up to here is applied. */
  position: bigint;
}

/** Why a rebuild was not started. */
export class RebuildRefused extends Error {
  override readonly name = 'RebuildRefused';
  constructor(
    readonly reason: 'running' | 'parked',
    message: string,
  ) {
    super(message);
  }
}

/** A rebuild under way: it holds the projection's rebuild lock until `done` settles. */
export interface StartedRebuild {
  done: Promise<RebuildResult>;
}

// Session advisory lock per projection: one rebuild at a time, across processes.
const REBUILD_LOCK_CLASS = 7321;
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Takes the projection's rebuild lock and starts the rebuild; resolves once it runs, so a
 * caller can answer at once. Refused when a rebuild of it runs anywhere, or when it has
 * parked events (a replay would apply what the live model holds back: retry or resolve
 * them first).
 */
export async function startRebuild(
  pool: Pool,
  store: EventStore,
  projection: ProjectionDefinition,
  options: RebuildOptions = {},
): Promise<StartedRebuild> {
  const client = await pool.connect();
  let ok = false;
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
      [REBUILD_LOCK_CLASS, projection.name],
    );
    if (!rows[0]?.locked) {
      throw new RebuildRefused('running', `A rebuild of ${projection.name} is running`);
    }
    if ((await countParked(client, projection.name)) > 0) {
      throw new RebuildRefused(
        'parked',
        `${projection.name} has parked events: retry or resolve them before rebuilding`,
      );
    }
    ok = true;
  } finally {
    // Not back to the pool holding the lock: the session ends, and the lock with it.
    if (!ok) client.release(true);
  }
  const done = rebuild(client, store, projection, options).finally(() =>
    // The session ends with the connection, lock, schema path and all.
    client.release(true),
  );
  return { done };
}

async function rebuild(
  client: PoolClient,
  store: EventStore,
  projection: ProjectionDefinition,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const batchSize = options.batchSize ?? 500;
  const shadow = escapeIdentifier(`rebuild_${projection.name}`);
  // The live tables are where the service's unqualified names lead: its current schema.
  const { rows: where } = await client.query<{ schema: string; path: string }>(
    "SELECT current_schema() AS schema, current_setting('search_path') AS path",
  );
  const liveSchema = escapeIdentifier(where[0]?.schema ?? 'public');
  await client.query(`DROP SCHEMA IF EXISTS ${shadow} CASCADE`);
  await client.query(`CREATE SCHEMA ${shadow}`);
  // Unqualified names, the projection's tables first of all, now mean the new ones.
  await client.query(`SET search_path TO ${shadow}, ${where[0]?.path ?? 'public'}`);
  for (const m of [...projection.migrations.migrations].sort((a, b) => a.version - b.version)) {
    await client.query(m.sql);
  }

  let position = 0n;
  let replayed = 0;
  // Applies the next page of the log after `position` (up to `until` when given) and says
  // whether the log holds more.
  const applyPage = async (until?: bigint): Promise<boolean> => {
    options.signal?.throwIfAborted();
    if (until !== undefined && position >= until) return false;
    const page = await store.readPage({
      fromPosition: position,
      maxCount: batchSize,
      filter: projection.filter,
    });
    const events =
      until === undefined ? page.events : page.events.filter((e) => e.position <= until);
    if (events.length > 0) await projection.handle(events, client);
    replayed += events.length;
    options.onProgress?.(replayed);
    const reachedUntil = events.length < page.events.length;
    position = reachedUntil && until !== undefined ? until : page.nextPosition;
    return !reachedUntil && page.events.length === batchSize;
  };
  // The connection is destroyed at the end whatever happens: a failed rollback needs no care.
  const inTransaction = <T>(work: () => Promise<T>): Promise<T> => transactionOn(client, work);

  const live = projection.tables.map((t) => `${liveSchema}.${escapeIdentifier(t)}`).join(', ');
  const attempts = options.swapAttempts ?? 20;
  for (let attempt = 1; ; attempt++) {
    // A transaction per page: a long replay holds no transaction open.
    while (await inTransaction(() => applyPage()));
    await options.beforeSwap?.();
    const before = { position, replayed }; // what a swap that gives up must not keep
    try {
      await inTransaction(async () => {
        await client.query(`SET LOCAL lock_timeout = ${options.lockTimeoutMs ?? 500}`);
        await client.query(`LOCK TABLE ${live} IN ACCESS EXCLUSIVE MODE`);
        // The live tables hold exactly what the committed checkpoint says: no write to
        // them can commit now. Read without a row lock: the runner may hold that row
        // while it waits for a table.
        const { rows } = await client.query<{ position: string }>(
          'SELECT position FROM consumer_checkpoints WHERE name = $1',
          [projection.name],
        );
        const checkpoint = BigInt(rows[0]?.position ?? '0');
        while (await applyPage(checkpoint));
        await client.query(`DROP TABLE ${live}`);
        for (const table of projection.tables) {
          await client.query(
            `ALTER TABLE ${shadow}.${escapeIdentifier(table)} SET SCHEMA ${liveSchema}`,
          );
        }
        // Not CASCADE: a table the migrations made and `tables` does not name fails here.
        await client.query(`DROP SCHEMA ${shadow}`);
      });
      return { replayed, position };
    } catch (error) {
      const busy = error instanceof DatabaseError && error.code === LOCK_NOT_AVAILABLE;
      if (!busy || attempt >= attempts) throw error;
      ({ position, replayed } = before);
    }
  }
}

/** Where each projection's last rebuild stands, for `GET /admin/projections`. */
export const rebuildMigrations: MigrationSet = {
  component: 'projection_rebuilds',
  migrations: [
    {
      version: 1,
      name: 'projection_rebuilds',
      sql: `
CREATE TABLE projection_rebuilds (
  name text PRIMARY KEY,
  state text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
  replayed bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  error text
);`,
    },
  ],
};

/**
 * A projection's last rebuild, whichever process ran it. `interrupted`: recorded as running,
 * but no session holds its lock any more (the process died or lost its connection).
 */
export interface RebuildStatus {
  state: 'running' | 'done' | 'failed' | 'interrupted';
  replayed: number;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

/** Every projection's last rebuild, by name. */
export async function readRebuildStatuses(pool: Pool): Promise<Map<string, RebuildStatus>> {
  const { rows } = await pool.query<{
    name: string;
    state: RebuildStatus['state'];
    replayed: string;
    started_at: Date;
    finished_at: Date | null;
    error: string | null;
    held: boolean;
  }>(
    `SELECT r.*, EXISTS (
       SELECT 1 FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.classid = $1 AND l.objid = hashtext(r.name)::oid
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     ) AS held
       FROM projection_rebuilds r`,
    [REBUILD_LOCK_CLASS],
  );
  return new Map(
    rows.map((r) => [
      r.name,
      {
        state: r.state === 'running' && !r.held ? 'interrupted' : r.state,
        replayed: Number(r.replayed),
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        error: r.error,
      },
    ]),
  );
}

/**
 * The rebuilds this process runs, for the admin API: starts them, records how each goes in
 * `projection_rebuilds`, and stops them on shutdown.
 */
export class ProjectionRebuilds {
  private readonly running = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly options: Omit<RebuildOptions, 'onProgress' | 'signal'> & {
      logger?: Logger;
    } = {},
  ) {}

  /** Starts a rebuild; throws `RebuildRefused` when one runs or events are parked. */
  async start(projection: ProjectionDefinition): Promise<RebuildStatus> {
    const { logger, ...options } = this.options;
    const name = projection.name;
    // The status writes go out one after the other, the last (done or failed) last.
    let writes = Promise.resolve();
    const record = (sql: string, values: unknown[]): void => {
      writes = writes
        .then(() => this.pool.query(sql, [name, ...values]))
        .then(
          () => undefined,
          (error: unknown) =>
            logger?.error({ projection: name, err: error }, 'recording a rebuild failed'),
        );
    };
    const started = await startRebuild(this.pool, this.store, projection, {
      ...options,
      signal: this.abort.signal,
      onProgress: (replayed) =>
        record('UPDATE projection_rebuilds SET replayed = $2 WHERE name = $1', [replayed]),
    });
    const status: RebuildStatus = {
      state: 'running',
      replayed: 0,
      startedAt: new Date(),
      finishedAt: null,
      error: null,
    };
    record(
      `INSERT INTO projection_rebuilds AS r (name, state, started_at) VALUES ($1, 'running', $2)
       ON CONFLICT (name) DO UPDATE SET state = 'running', replayed = 0, started_at = $2,
                                        finished_at = NULL, error = NULL`,
      [status.startedAt],
    );
    logger?.info({ projection: name }, 'projection rebuild started');
    const finish = (state: 'done' | 'failed', replayed: number | null, error: string | null) =>
      record(
        `UPDATE projection_rebuilds SET state = $2, replayed = COALESCE($3, replayed),
                finished_at = now(), error = $4 WHERE name = $1`,
        [state, replayed, error],
      );
    const finished = started.done
      .then(
        (result) => {
          finish('done', result.replayed, null);
          logger?.info({ projection: name, replayed: result.replayed }, 'projection rebuilt');
        },
        (error: unknown) => {
          finish('failed', null, error instanceof Error ? error.message : String(error));
          logger?.error({ projection: name, err: error }, 'projection rebuild failed');
        },
      )
      .then(() => writes);
    this.running.add(finished);
    void finished.finally(() => this.running.delete(finished));
    return status;
  }

  /** Resolves once every rebuild has finished and been recorded, however it went. */
  async idle(): Promise<void> {
    await Promise.all([...this.running]);
  }

  /** Stops the rebuilds under way (between two batches) and waits for them. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.idle();
  }
}
