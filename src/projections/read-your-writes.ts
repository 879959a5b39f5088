import type { Pool } from 'pg';
import type { ConsumerLogger } from '../consumers';

export interface ReadYourWritesOptions {
  /** How long a write waits for its read models before answering anyway (default 5 s). */
  timeoutMs?: number;
  /** First pause between polls; doubles up to `maxIntervalMs` (defaults 5 and 100 ms). */
  initialIntervalMs?: number;
  maxIntervalMs?: number;
  logger?: Pick<ConsumerLogger, 'warn'>;
}

/**
 * Read-your-writes: resolves once every named projection's checkpoint has reached
 * `position` (the global position of the write's last event), so a GET right after the
 * write sees it. It polls `consumer_checkpoints`, not an in-process signal, because the
 * projector may run in another process. Bounded: after `timeoutMs` it logs a warning and
 * resolves `false`; the write has happened all the same and its answer still goes out.
 */
export async function waitForProjections(
  pool: Pool,
  names: readonly string[],
  position: bigint,
  options: ReadYourWritesOptions = {},
): Promise<boolean> {
  if (names.length === 0 || position <= 0n) return true;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxIntervalMs = options.maxIntervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let interval = options.initialIntervalMs ?? 5;
  for (;;) {
    const { rows } = await pool.query<{ behind: number }>(
      `SELECT count(*)::int AS behind
         FROM unnest($1::text[]) AS n(name)
         LEFT JOIN consumer_checkpoints c ON c.name = n.name
        WHERE c.position IS NULL OR c.position < $2`,
      [names, position.toString()],
    );
    if ((rows[0]?.behind ?? 0) === 0) return true;
    const left = deadline - Date.now();
    if (left <= 0) {
      options.logger?.warn(
        { projections: names, position: position.toString(), timeout_ms: timeoutMs },
        'read-your-writes: projections did not reach the write in time; answering anyway',
      );
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, left)));
    interval = Math.min(maxIntervalMs, interval * 2);
  }
}

/** A write's `waitForProjections`, with the pool and options bound once at startup. */
export type AwaitProjections = (names: readonly string[], position: bigint) => Promise<boolean>;

export function readYourWrites(pool: Pool, options: ReadYourWritesOptions = {}): AwaitProjections {
  return (names, position) => waitForProjections(pool, names, position, options);
}
