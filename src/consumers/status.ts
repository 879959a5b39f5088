import type { Pool } from 'pg';
import type { EventFilter, EventStore } from '../eventstore';
import type { ConsumerKind, ConsumerState, ConsumerStatus } from './consumer';
import { type LagCounter, sqlLagCounter } from './lag';
import { consumerLockKey } from './leadership';
import type { ConsumerRunner } from './runner';

export interface ConsumerReadiness {
  name: string;
  state: ConsumerState;
  stuck: boolean;
}

/**
 * What `/ready` asks of this process's consumers. Lag is only counted up to 1 here: `stuck`
 * needs to know whether work is pending, not how much.
 */
export function consumersReadiness(
  runners: readonly ConsumerRunner[],
): () => Promise<ConsumerReadiness[]> {
  return () =>
    Promise.all(
      runners.map(async (runner) => {
        const { name, state, stuck } = await runner.status({ lagCap: 1 });
        return { name, state, stuck };
      }),
    );
}

interface CheckpointRow {
  name: string;
  kind: ConsumerKind;
  position: string;
  filter: EventFilter | null;
  state: ConsumerState | null;
  last_error: string | null;
  retrying_since: Date | null;
  updated_at: Date;
  parked: number;
}

/**
 * Every consumer's status from the database, for consumers running in other processes.
 * A consumer whose lock no session holds is `stopped`; otherwise its state is the one its
 * leader recorded. `stuck`: led, and retrying one event for longer than `stuckAfterMs`, or
 * with events pending for that long while its checkpoint has not moved for that long.
 */
export async function readConsumerStatuses(
  pool: Pool,
  store: EventStore,
  options: { stuckAfterMs?: number; lagCap?: number; countLag?: LagCounter } = {},
): Promise<ConsumerStatus[]> {
  const stuckAfterMs = options.stuckAfterMs ?? 30_000;
  const countLag = options.countLag ?? sqlLagCounter(pool);
  const [{ rows }, locks, headPosition] = await Promise.all([
    pool.query<CheckpointRow>(
      `SELECT c.*, (SELECT count(*)::int FROM consumer_dead_letters d
                     WHERE d.consumer_name = c.name) AS parked
         FROM consumer_checkpoints c ORDER BY c.name`,
    ),
    pool.query<{ key: string }>(
      `SELECT ((classid::int8 << 32) | objid::int8)::text AS key FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    ),
    store.headPosition(),
  ]);
  const heldKeys = new Set(locks.rows.map((r) => BigInt.asIntN(64, BigInt(r.key))));
  const since = (date: Date | null): number => (date ? Date.now() - date.getTime() : 0);

  return Promise.all(
    rows.map(async (row): Promise<ConsumerStatus> => {
      const checkpoint = BigInt(row.position);
      const filter = row.filter ?? undefined;
      const led = heldKeys.has(consumerLockKey(row.name));
      const lag = await countLag(checkpoint, filter, options.lagCap ?? 100_000);
      let stuck = false;
      if (led && row.state === 'retrying') stuck = since(row.retrying_since) > stuckAfterMs;
      if (led && !stuck && lag > 0 && since(row.updated_at) > stuckAfterMs) {
        const [oldest] = await store.readAll({ fromPosition: checkpoint, maxCount: 1, filter });
        stuck = oldest !== undefined && since(oldest.createdAt) > stuckAfterMs;
      }
      const state: ConsumerState = !led
        ? 'stopped'
        : row.state === null || row.state === 'stopped'
          ? 'starting'
          : row.state;
      return {
        name: row.name,
        kind: row.kind,
        state,
        checkpoint,
        headPosition,
        lag,
        parkedCount: row.parked,
        ...(row.last_error !== null && { lastError: row.last_error }),
        stuck,
      };
    }),
  );
}
