import type { Pool } from 'pg';
import { pruneIdempotencyKeys } from '../commands/orders.commands';
import type { Logger } from '../infra/logger';

export interface KeyPruningOptions {
  pool: Pool;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Keys older than this go (IDEMPOTENCY_KEY_RETENTION_HOURS, default 24). */
  retentionHours: number;
  /** Between two passes (default one hour); the first runs at once. */
  intervalMs?: number;
}

/**
 * The API's housekeeping of `Idempotency-Key`s: a pass at start, then one every
 * `intervalMs`, deleting the keys past their retention. Every API process runs it; passes
 * that meet on the same rows are harmless (a row is deleted once). A failed pass is logged
 * and the next one tries again. `stop()` waits for a pass in flight.
 */
export function startIdempotencyKeyPruning(options: KeyPruningOptions): {
  stop(): Promise<void>;
} {
  const { pool, logger, retentionHours } = options;
  let running: Promise<void> = Promise.resolve();
  const pass = () => {
    running = pruneIdempotencyKeys(pool, retentionHours).then(
      (pruned) => {
        if (pruned > 0) logger.info({ pruned, retentionHours }, 'idempotency keys pruned');
      },
      (error: unknown) => logger.warn({ err: error }, 'could not prune idempotency keys'),
    );
  };
  pass();
  const timer = setInterval(pass, options.intervalMs ?? 3_600_000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
