import type { Pool } from 'pg';

/** What housekeeping logs with: a pino logger, or the consumers' narrower one. */
export interface HousekeepingLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface HousekeepingOptions {
  /** What goes, for the log lines: "idempotency keys pruned". */
  what: string;
  /** One pass; resolves to how many rows went. */
  pass: () => Promise<number>;
  logger: HousekeepingLogger;
  /** Between two passes (default one hour); the first runs at once. */
  intervalMs?: number;
  /** Logged with each pass that removed something (the retention, say). */
  details?: Record<string, unknown>;
}

/**
 * A periodic cleanup: a pass at start, then one every `intervalMs`. Every process of the
 * role runs it; passes that meet on the same rows are harmless (a row is deleted once). A
 * failed pass is logged and the next one tries again. `stop()` waits for a pass in flight.
 */
export function startHousekeeping(options: HousekeepingOptions): { stop(): Promise<void> } {
  const { what, logger } = options;
  let running: Promise<void> = Promise.resolve();
  const pass = () => {
    running = options.pass().then(
      (pruned) => {
        if (pruned > 0) logger.info({ pruned, ...options.details }, `${what} pruned`);
      },
      (error: unknown) => logger.warn({ err: error }, `could not prune ${what}`),
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

/**
 * Deletes the rows of `table` that `selectCtids` (a SELECT of their ctids, with `params`)
 * picks, at most `batchSize` per statement, until none is left: short statements and short
 * locks on a large table. Returns how many went. `table` is one of the caller's own table
 * names, never input.
 */
export async function deleteInBatches(
  pool: Pick<Pool, 'query'>,
  table: string,
  selectCtids: string,
  params: readonly unknown[],
  batchSize: number,
): Promise<number> {
  const sql = `DELETE FROM ${table}
    WHERE ctid = ANY (ARRAY(${selectCtids} LIMIT $${params.length + 1}))`;
  let deleted = 0;
  for (;;) {
    const { rowCount } = await pool.query(sql, [...params, batchSize]);
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return deleted;
  }
}
