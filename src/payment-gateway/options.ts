import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as t from 'io-ts';
import { decodeEnv, fromString, Port, WholeNumber } from '../infra/env';
import type { Logger } from '../infra/logger';

/** How the mock gateway behaves for cards that are not test cards, and its plumbing. */
export interface GatewayOptions {
  /** Share of charges on other cards declined (`card_declined`), 0..1. Default 0. */
  failureRate?: number;
  /**
   * Share of charges on other cards whose response is held for `timeoutHoldMs`, longer than
   * any client waits. The charge is settled first (captured or declined), only the answer
   * is lost, as when a real gateway times out after capturing: a retry with the same
   * idempotency key gets the settled result at once and is never charged twice. 0..1.
   */
  timeoutRate?: number;
  /** Share of charges on other cards answered 503 `gateway_error` (not settled). Default 0. */
  errorRate?: number;
  /** Delay before every charge and refund is handled. Default 0. */
  latencyMs?: number;
  /** How long a timed-out response is held. Default 30 s. */
  timeoutHoldMs?: number;
  /**
   * The first N requests for each idempotency key (charges and refunds, any card) answer
   * 503 `gateway_error` before anything is settled: a deterministic flaky gateway for tests.
   */
  transientFailures?: number;
  /** Uniform in [0, 1); inject {@link seededRandom} for reproducible runs. */
  random?: () => number;
  now?: () => Date;
  logger?: Logger;
}

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const Rate = fromString('a number from 0 to 1', (s) => {
  const n = /^\d*\.?\d+$/.test(s.trim()) ? Number(s.trim()) : NaN;
  return n >= 0 && n <= 1 ? n : undefined;
});
const Millis = WholeNumber('a whole number of milliseconds', 0);

const Env = t.partial({
  PAYMENT_FAILURE_RATE: Rate,
  PAYMENT_TIMEOUT_RATE: Rate,
  PAYMENT_ERROR_RATE: Rate,
  PAYMENT_LATENCY_MS: Millis,
  PAYMENT_TIMEOUT_HOLD_MS: Millis,
  PAYMENT_GATEWAY_PORT: Port,
});

export const DEFAULT_GATEWAY_PORT = 3100;

export interface GatewayEnvOptions {
  failureRate: number;
  timeoutRate: number;
  errorRate: number;
  latencyMs: number;
  timeoutHoldMs: number;
  /** Where the `payment-gateway` role listens (PAYMENT_GATEWAY_PORT, default 3100). */
  port: number;
}

/**
 * The gateway's settings from the environment (DESIGN.md section 8): PAYMENT_FAILURE_RATE,
 * PAYMENT_TIMEOUT_RATE, PAYMENT_LATENCY_MS, and PAYMENT_ERROR_RATE, PAYMENT_TIMEOUT_HOLD_MS,
 * PAYMENT_GATEWAY_PORT. Empty counts as unset. `Left` has one line per bad variable.
 */
export function gatewayOptionsFromEnv(
  env: Record<string, string | undefined>,
): E.Either<string[], GatewayEnvOptions> {
  return pipe(
    decodeEnv(Env, env),
    E.map((v) => ({
      failureRate: v.PAYMENT_FAILURE_RATE ?? 0,
      timeoutRate: v.PAYMENT_TIMEOUT_RATE ?? 0,
      errorRate: v.PAYMENT_ERROR_RATE ?? 0,
      latencyMs: v.PAYMENT_LATENCY_MS ?? 0,
      timeoutHoldMs: v.PAYMENT_TIMEOUT_HOLD_MS ?? 30_000,
      port: v.PAYMENT_GATEWAY_PORT ?? DEFAULT_GATEWAY_PORT,
    })),
  );
}
