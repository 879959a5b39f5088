import type { Pool } from 'pg';
import { onCheckpointMoved, type ConsumerLogger } from '../consumers';

export interface ReadYourWritesOptions {
  /** How long a write waits for its read models before answering anyway (default 5 s). */
  timeoutMs?: number;
  /** Pause between two looks at the checkpoints while writes wait (default 5 ms). */
  intervalMs?: number;
  /**
   * The pause instead while every awaited projection runs in this process on the same pool
   * and was heard from within the last second (default 100 ms): their moves arrive at once
   * in-process, and the look at the table is only the fallback.
   */
  heardIntervalMs?: number;
  logger?: Pick<ConsumerLogger, 'warn'>;
}

/** A write's wait for the named projections to reach its position; false on timeout. */
export type AwaitProjections = (names: readonly string[], position: bigint) => Promise<boolean>;

interface Waiter {
  names: readonly string[];
  position: bigint;
  deadline: number;
  resolve(caughtUp: boolean): void;
  reject(error: unknown): void;
}

/**
 * Read-your-writes: a write's answer waits until every projection it touched has passed the
 * global position of its last event, so a GET right after the write sees it. The projector
 * may run in another process, so this watches `consumer_checkpoints` in PostgreSQL: one
 * query every `intervalMs` for all the writes waiting in this process at the time, none
 * when nobody waits. A projection running in this process on the same pool announces its
 * committed moves (`onCheckpointMoved`), which settles the writes at once. Bounded: after
 * `timeoutMs` a write logs a warning and answers anyway (resolves `false`); the write has
 * happened all the same.
 */
export function readYourWrites(pool: Pool, options: ReadYourWritesOptions = {}): AwaitProjections {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 5;
  const heardIntervalMs = options.heardIntervalMs ?? 100;
  const waiters = new Set<Waiter>();
  let watching = false;
  /** What projections in this process announced, and when. */
  const heard = new Map<string, { position: bigint; at: number }>();

  const settle = (positions: ReadonlyMap<string, bigint>): void => {
    const now = Date.now();
    for (const w of waiters) {
      if (w.names.every((name) => (positions.get(name) ?? -1n) >= w.position)) {
        waiters.delete(w);
        w.resolve(true);
      } else if (now >= w.deadline) {
        waiters.delete(w);
        options.logger?.warn(
          { projections: w.names, position: w.position.toString(), timeout_ms: timeoutMs },
          'read-your-writes: projections did not reach the write in time; answering anyway',
        );
        w.resolve(false);
      }
    }
  };

  onCheckpointMoved(pool, (name, position) => {
    heard.set(name, { position, at: Date.now() });
    if (waiters.size > 0) settle(new Map([...heard].map(([n, h]) => [n, h.position])));
  });
  const allHeard = (): boolean => {
    const since = Date.now() - 1_000;
    return [...waiters].every((w) => w.names.every((n) => (heard.get(n)?.at ?? 0) > since));
  };

  const watch = async (): Promise<void> => {
    watching = true;
    try {
      while (waiters.size > 0) {
        const names = [...new Set([...waiters].flatMap((w) => w.names))];
        const { rows } = await pool.query<{ name: string; position: string }>({
          name: 'read_your_writes_checkpoints',
          text: 'SELECT name, position::text FROM consumer_checkpoints WHERE name = ANY($1)',
          values: [names],
        });
        settle(new Map(rows.map((r) => [r.name, BigInt(r.position)])));
        const pause = allHeard() ? heardIntervalMs : intervalMs;
        if (waiters.size > 0) await new Promise((resolve) => setTimeout(resolve, pause));
      }
    } catch (error) {
      for (const w of waiters) w.reject(error);
      waiters.clear();
    } finally {
      watching = false;
    }
  };

  return (names, position) => {
    if (names.length === 0 || position <= 0n) return Promise.resolve(true);
    const since = Date.now() - 1_000;
    const passed = (name: string) => {
      const h = heard.get(name);
      return h !== undefined && h.at > since && h.position >= position;
    };
    if (names.every(passed)) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      waiters.add({ names, position, deadline: Date.now() + timeoutMs, resolve, reject });
      if (!watching) void watch();
    });
  };
}
