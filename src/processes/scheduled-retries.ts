import type { Pool } from 'pg';
import { Batcher, batcherPer } from '../infra/batcher';
import { deleteInBatches } from '../infra/housekeeping';
import { sleep } from '../consumers/backoff';
import type { ConsumerLogger } from '../consumers';

export type ScheduledKind = 'stock_retry' | 'reservation_expiry' | 'payment_check';

export interface ScheduledRetry {
  id: string;
  kind: ScheduledKind;
  orderId: string;
  attempt: number;
  dueAt: Date;
}

type NewRetry = { kind: ScheduledKind; orderId: string; attempt: number; dueAt: Date };

// Saga handlers schedule and close concurrently: their rows go out in one statement each.
const schedulers = batcherPer(
  (pool: Pool) =>
    new Batcher<NewRetry, void>(async (retries) => {
      await pool.query({
        name: 'scheduled_retries_insert',
        text: `INSERT INTO scheduled_retries (kind, order_id, attempt, due_at)
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::int[], $4::timestamptz[])
         ON CONFLICT (kind, order_id, attempt) DO NOTHING`,
        values: [
          retries.map((r) => r.kind),
          retries.map((r) => r.orderId),
          retries.map((r) => r.attempt),
          retries.map((r) => r.dueAt),
        ],
      });
      return retries.map(() => undefined);
    }),
);

interface Closing {
  orderId: string;
  forgetPaymentToken: boolean;
}

const closers = batcherPer(
  (pool: Pool) =>
    new Batcher<Closing, void>(async (closing) => {
      await pool.query({
        name: 'scheduled_retries_close',
        text: `WITH forgotten AS (DELETE FROM order_payment_tokens WHERE order_id = ANY($2::uuid[]))
         UPDATE scheduled_retries SET done_at = now()
          WHERE order_id = ANY($1::uuid[]) AND done_at IS NULL AND kind <> 'payment_check'`,
        values: [
          closing.map((c) => c.orderId),
          closing.filter((c) => c.forgetPaymentToken).map((c) => c.orderId),
        ],
      });
      return closing.map(() => undefined);
    }),
);

/**
 * Schedules work for later; the same (kind, order, attempt) again is a no-op. Resolves once
 * the row is committed (written together with those scheduled meanwhile).
 */
export function scheduleRetry(pool: Pool, retry: NewRetry): Promise<void> {
  return schedulers(pool).call(retry);
}

/**
 * Marks an order's pending work done: it reached a state where none of it applies. A payment
 * check stays: it finds out whether money moved, which matters most for a stopped order.
 * `forgetPaymentToken` also deletes the order's gateway token, in the same statement: for an
 * order whose capture is recorded, as nothing needs the token after that (a payment check
 * stops at a recorded capture, a refund goes by the charge id).
 */
export function closeRetries(
  pool: Pool,
  orderId: string,
  { forgetPaymentToken = false }: { forgetPaymentToken?: boolean } = {},
): Promise<void> {
  return closers(pool).call({ orderId, forgetPaymentToken });
}

/**
 * Deletes the gateway tokens stored more than `retentionHours` ago whose order has no
 * scheduled work left (a payment check still needs its token), `batchSize` rows per
 * statement, and returns how many went. A processed order's token goes at once
 * (`closeRetries`); this takes the failed and cancelled orders' ones, and any order
 * abandoned for longer than the retention, whose payment then fails for want of a token
 * rather than charge a card a day late.
 */
export async function prunePaymentTokens(
  pool: Pool,
  retentionHours: number,
  batchSize = 5_000,
): Promise<number> {
  const stale = `SELECT t.ctid FROM order_payment_tokens t
     WHERE t.created_at < now() - make_interval(hours => $1)
       AND NOT EXISTS (SELECT 1 FROM scheduled_retries r
                        WHERE r.order_id = t.order_id AND r.done_at IS NULL)`;
  return deleteInBatches(pool, 'order_payment_tokens', stale, [retentionHours], batchSize);
}

/**
 * How long work marked done stays in `scheduled_retries`. A done row only makes scheduling
 * the same (kind, order, attempt) again a no-op, which matters while the saga may handle an
 * event a second time (after a crash, its checkpoint's lag: seconds); without pruning the
 * table would keep a row per order for ever.
 */
export const DONE_RETRY_RETENTION_HOURS = 24;

/**
 * Deletes scheduled work marked done more than `retentionHours` ago, `batchSize` rows per
 * statement, and returns how many went. Pending work is never touched.
 */
export function pruneDoneRetries(
  pool: Pool,
  retentionHours: number,
  batchSize = 5_000,
): Promise<number> {
  const done = `SELECT ctid FROM scheduled_retries
     WHERE done_at < now() - make_interval(hours => $1)`;
  return deleteInBatches(pool, 'scheduled_retries', done, [retentionHours], batchSize);
}

export interface RetryPoller {
  start(): void;
  /** Lets the run in progress finish, then stops. */
  stop(): Promise<void>;
  /** Runs every retry due now, one by one; returns how many ran. For tests and the loop. */
  runDue(): Promise<number>;
}

export interface RetryPollerOptions {
  pool: Pool;
  logger: ConsumerLogger;
  /** Sleep between looks when nothing is due. */
  pollMs: number;
  /** Does the work; throwing leaves it scheduled again after a growing delay. */
  run(retry: ScheduledRetry): Promise<void>;
}

const maxFailureDelayMs = 60_000;

/**
 * Runs scheduled work when it falls due. Each row is claimed with `FOR UPDATE SKIP LOCKED`
 * in its own transaction, held while its work runs and marked done in the same
 * transaction: any number of pollers may run (every role instance), none runs a row another
 * holds, and a crash mid-run rolls the claim back so the row runs again (work must be
 * idempotent). The schedule lives in PostgreSQL, so it survives restarts.
 */
export function createRetryPoller(options: RetryPollerOptions): RetryPoller {
  const { pool, logger } = options;
  let stopping: AbortController | undefined;
  let loop: Promise<void> | undefined;

  async function runOne(): Promise<boolean> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{
        id: string;
        kind: ScheduledKind;
        order_id: string;
        attempt: number;
        due_at: Date;
        failures: number;
      }>(
        `SELECT id, kind, order_id, attempt, due_at, failures FROM scheduled_retries
         WHERE done_at IS NULL AND due_at <= $1
         ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [new Date()],
      );
      const row = rows[0];
      if (!row) {
        await client.query('COMMIT');
        return false;
      }
      const retry: ScheduledRetry = {
        id: row.id,
        kind: row.kind,
        orderId: row.order_id,
        attempt: row.attempt,
        dueAt: row.due_at,
      };
      try {
        await options.run(retry);
        await client.query('UPDATE scheduled_retries SET done_at = now() WHERE id = $1', [row.id]);
      } catch (error) {
        const delay = Math.min(maxFailureDelayMs, 1_000 * 2 ** row.failures);
        logger.error({ err: error, ...retry, retryInMs: delay }, 'scheduled retry failed');
        await client.query(
          `UPDATE scheduled_retries SET failures = failures + 1, last_error = $2, due_at = $3
           WHERE id = $1`,
          [
            row.id,
            error instanceof Error ? error.message : String(error),
            new Date(Date.now() + delay),
          ],
        );
      }
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async function runDue(): Promise<number> {
    let ran = 0;
    while (!stopping?.signal.aborted && (await runOne())) ran += 1;
    return ran;
  }

  async function poll(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await runDue();
      } catch (error) {
        logger.error({ err: error }, 'retry poller failed: will look again');
      }
      await sleep(options.pollMs, signal);
    }
  }

  return {
    start() {
      if (loop) return;
      stopping = new AbortController();
      loop = poll(stopping.signal);
    },
    async stop() {
      stopping?.abort();
      await loop;
      loop = undefined;
    },
    runDue,
  };
}
