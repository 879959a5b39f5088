import type { Pool } from 'pg';
import { pruneIdempotencyKeys } from '../commands/orders.commands';
import { startHousekeeping } from '../infra/housekeeping';
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
 * `intervalMs`, deleting the keys past their retention (see `startHousekeeping`).
 */
export function startIdempotencyKeyPruning(options: KeyPruningOptions): {
  stop(): Promise<void>;
} {
  const { pool, logger, retentionHours } = options;
  return startHousekeeping({
    what: 'idempotency keys',
    pass: () => pruneIdempotencyKeys(pool, retentionHours),
    logger,
    intervalMs: options.intervalMs,
    details: { retentionHours },
  });
}
