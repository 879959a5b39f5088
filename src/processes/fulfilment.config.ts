import * as E from 'fp-ts/Either';
import { wholeNumber } from '../infra/env';

/** The fulfilment process's schedules (DESIGN.md section 8). */
export interface FulfilmentConfig {
  /** Reservation attempts in all, the first included (STOCK_RETRY_ATTEMPTS, default 5). */
  stockRetryAttempts: number;
  /** Delay before the first retry, doubling per retry (STOCK_RETRY_BASE_MS, default 2000). */
  stockRetryBaseMs: number;
  /** How long stock stays reserved without payment (RESERVATION_TTL_MS, default 15 min). */
  reservationTtlMs: number;
  /** How often the retry poller looks for due work (default 1000 ms). */
  retryPollMs: number;
  /**
   * After a charge whose outcome is unknown (every attempt timed out or errored), when to ask
   * the gateway again with the same key; doubles per check (PAYMENT_CHECK_DELAY_MS, 30 s).
   */
  paymentCheckDelayMs: number;
  /** How many times to ask before recording the payment as failed for good (5). */
  paymentChecks: number;
  /**
   * Order events the saga handles at once, never two of one order (FULFILMENT_CONCURRENCY,
   * default 512). 1 handles them one at a time in global order. A handler mostly waits (a
   * commit, the gateway), so what the saga keeps up with is about concurrency / handler
   * latency: at 800 orders/s, three handled events per order and 50-200 ms per handler under
   * load, that is 120-480 handlers in flight. With 128, 256 bench clients outran the saga.
   */
  concurrency: number;
  /**
   * How long a failed or cancelled order's gateway token is kept (hours), once no payment
   * check is pending (PAYMENT_TOKEN_RETENTION_HOURS, default 24). A processed order's goes
   * at once.
   */
  paymentTokenRetentionHours: number;
}

export const defaultFulfilmentConfig: FulfilmentConfig = {
  stockRetryAttempts: 5,
  stockRetryBaseMs: 2_000,
  reservationTtlMs: 15 * 60_000,
  retryPollMs: 1_000,
  paymentCheckDelayMs: 30_000,
  paymentChecks: 5,
  concurrency: 512,
  paymentTokenRetentionHours: 24,
};

const variables = {
  STOCK_RETRY_ATTEMPTS: ['stockRetryAttempts', 1],
  STOCK_RETRY_BASE_MS: ['stockRetryBaseMs', 0],
  RESERVATION_TTL_MS: ['reservationTtlMs', 1],
  PAYMENT_CHECK_DELAY_MS: ['paymentCheckDelayMs', 0],
  FULFILMENT_CONCURRENCY: ['concurrency', 1],
  PAYMENT_TOKEN_RETENTION_HOURS: ['paymentTokenRetentionHours', 1],
} as const;

/** The settings from the environment; empty counts as unset; `Left` names each bad variable. */
export function fulfilmentConfigFromEnv(
  env: Record<string, string | undefined>,
): E.Either<string[], FulfilmentConfig> {
  const config = { ...defaultFulfilmentConfig };
  const errors: string[] = [];
  for (const [name, [key, min]] of Object.entries(variables)) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const n = wholeNumber(raw, min);
    if (n !== undefined) config[key] = n;
    else
      errors.push(
        `${name}: expected a whole number of at least ${min}, got ${JSON.stringify(raw)}`,
      );
  }
  return errors.length > 0 ? E.left(errors) : E.right(config);
}

/** When the retry after failed attempt `attempt` (1-based) runs: base · 2^(attempt-1). */
export function stockRetryDelay(config: FulfilmentConfig, attempt: number): number {
  return config.stockRetryBaseMs * 2 ** (attempt - 1);
}
