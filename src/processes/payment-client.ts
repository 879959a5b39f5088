import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as t from 'io-ts';
import { allowManyWaiters, sleep as abortableSleep } from '../consumers/backoff';
import { decodeEnv, fromString, WholeNumber } from '../infra/env';
import type { Logger } from '../infra/logger';

export interface PaymentClientOptions {
  /** The gateway's base URL (PAYMENT_GATEWAY_URL). */
  baseUrl: string;
  /** Per attempt, from sending the request to the last byte of the answer. Default 2 s. */
  timeoutMs?: number;
  /** Attempts in all, the first included (PAYMENT_RETRY_ATTEMPTS). Default 4. */
  attempts?: number;
  /** The backoff's first ceiling (PAYMENT_RETRY_BASE_MS), doubling per retry. Default 500. */
  baseDelayMs?: number;
  /** The largest backoff ceiling. Default 30 s. */
  maxDelayMs?: number;
  /** Uniform in [0, 1), for the jitter. */
  random?: () => number;
  /** Waits between attempts; tests pass one that records the schedule. */
  sleep?: (ms: number) => Promise<void>;
  /** Aborting stops retrying (shutdown): the call answers `unavailable`, reason `stopped`. */
  signal?: AbortSignal;
  logger?: Logger;
}

export type ChargeResult =
  | { kind: 'captured'; chargeId: string }
  | { kind: 'declined'; reason: string }
  | { kind: 'unavailable'; reason: string; attempts: number };

export type RefundResult =
  | { kind: 'refunded'; refundId: string }
  | { kind: 'rejected'; reason: string }
  | { kind: 'unavailable'; reason: string; attempts: number };

export type TokenizeResult =
  | { kind: 'tokenized'; token: string; brand: string; last4: string }
  | { kind: 'invalid'; reason: string; fields: string[] }
  | { kind: 'unavailable'; reason: string; attempts: number };

export interface CardDetails {
  card_number: string;
  exp_month: number;
  exp_year: number;
  cvc: string;
}

export interface PaymentClient {
  /** Exchanges card details for a token; the number goes nowhere else. Safe to retry. */
  tokenize(card: CardDetails): Promise<TokenizeResult>;
  /** Charges a token once per order: the order id is the idempotency key. */
  charge(req: {
    orderId: string;
    amount: number;
    currency: string;
    token: string;
  }): Promise<ChargeResult>;
  /** Refunds a charge (in full without `amount`), once per order (key `<orderId>:refund`). */
  refund(req: { orderId: string; chargeId: string; amount?: number }): Promise<RefundResult>;
}

/** The wait before retry number `retry` (1-based): full jitter over a doubling ceiling. */
export function retryDelay(
  retry: number,
  policy: { baseDelayMs: number; maxDelayMs: number },
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

type Answer = { kind: 'answer'; status: number; body: unknown } | { kind: 'retry'; reason: string };
type Called =
  | { kind: 'answer'; status: number; body: unknown }
  | { kind: 'unavailable'; reason: string; attempts: number };

const Charged = t.type({ id: t.string, status: t.literal('captured') });
const Refunded = t.type({ id: t.string });
const Tokenized = t.type({ token: t.string, brand: t.string, last4: t.string });
const Failure = t.type({ error: t.type({ code: t.string }) });
const Invalid = t.type({ errors: t.array(t.type({ field: t.string })) });

/** The reason a gateway gives for a refusal, or `http_<status>` when it gives none. */
function reasonOf(status: number, body: unknown): string {
  return Failure.is(body) ? body.error.code : `http_${status}`;
}

/**
 * The fulfilment process's client of the payment gateway. Every call has a per-attempt
 * timeout and is retried with exponential backoff and full jitter on what may pass (a 5xx,
 * a 429, a timeout, a refused connection), never on a refusal (any other 4xx). Retrying a
 * charge is safe because the order id is its idempotency key: the gateway answers a repeat
 * with the first result. `unavailable` after timeouts does not prove nothing was captured:
 * charging again later with the same order id finds out without charging twice.
 */
export function createPaymentClient(options: PaymentClientOptions): PaymentClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 2_000;
  const attempts = Math.max(1, options.attempts ?? 4);
  const policy = {
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 30_000,
  };
  const random = options.random ?? Math.random;
  const stopping = options.signal && allowManyWaiters(options.signal);
  const wait = options.sleep ?? ((ms: number) => abortableSleep(ms, stopping));
  // node:http with kept-alive connections rather than fetch, whose web streams and abort
  // plumbing came to about 5% of the service's CPU in a bench:orders profile.
  const agent = base.startsWith('https:')
    ? new HttpsAgent({ keepAlive: true })
    : new HttpAgent({ keepAlive: true });

  async function once(path: string, body: unknown): Promise<Answer> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    try {
      const response = await postJson(
        `${base}${path}`,
        JSON.stringify(body),
        agent,
        timeout.signal,
      );
      const text = response.text;
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        return { kind: 'retry', reason: 'malformed_response' };
      }
      if (response.status >= 500 || response.status === 429) {
        return { kind: 'retry', reason: reasonOf(response.status, parsed) };
      }
      return { kind: 'answer', status: response.status, body: parsed };
    } catch {
      return { kind: 'retry', reason: timeout.signal.aborted ? 'timeout' : 'connection_error' };
    } finally {
      clearTimeout(timer);
    }
  }

  async function call(path: string, body: unknown, what: Record<string, unknown>): Promise<Called> {
    let reason = 'stopped';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (options.signal?.aborted)
        return { kind: 'unavailable', reason: 'stopped', attempts: attempt - 1 };
      const answer = await once(path, body);
      if (answer.kind === 'answer') return answer;
      reason = answer.reason;
      if (attempt === attempts) break;
      const delay = retryDelay(attempt, policy, random);
      options.logger?.warn(
        { ...what, path, attempt, reason, retry_in_ms: delay },
        'payment: retrying',
      );
      await wait(delay);
    }
    return { kind: 'unavailable', reason, attempts };
  }

  return {
    async tokenize(card) {
      const result = await call('/v1/tokens', card, { call: 'tokenize' });
      if (result.kind === 'unavailable') return result;
      if (result.status === 201 && Tokenized.is(result.body)) {
        const { token, brand, last4 } = result.body;
        return { kind: 'tokenized', token, brand, last4 };
      }
      const fields = Invalid.is(result.body) ? result.body.errors.map((e) => e.field) : [];
      return { kind: 'invalid', reason: reasonOf(result.status, result.body), fields };
    },

    async charge({ orderId, amount, currency, token }) {
      const body = { amount, currency, token, idempotency_key: orderId };
      const result = await call('/v1/charges', body, { order_id: orderId });
      if (result.kind === 'unavailable') return result;
      if (result.status === 201 && Charged.is(result.body)) {
        return { kind: 'captured', chargeId: result.body.id };
      }
      return { kind: 'declined', reason: reasonOf(result.status, result.body) };
    },

    async refund({ orderId, chargeId, amount }) {
      const body = {
        charge_id: chargeId,
        idempotency_key: `${orderId}:refund`,
        ...(amount !== undefined && { amount }),
      };
      const result = await call('/v1/refunds', body, { order_id: orderId, charge_id: chargeId });
      if (result.kind === 'unavailable') return result;
      if (result.status === 201 && Refunded.is(result.body)) {
        return { kind: 'refunded', refundId: result.body.id };
      }
      return { kind: 'rejected', reason: reasonOf(result.status, result.body) };
    },
  };
}

const HttpUrl = fromString('an http:// or https:// URL', (s) => {
  try {
    const url = new URL(s.trim());
    return ['http:', 'https:'].includes(url.protocol) ? url.toString() : undefined;
  } catch {
    return undefined;
  }
});

const ClientEnv = t.partial({
  PAYMENT_GATEWAY_URL: HttpUrl,
  PAYMENT_TIMEOUT_MS: WholeNumber('a whole number of milliseconds (1 or more)', 1),
  PAYMENT_RETRY_ATTEMPTS: WholeNumber('a whole number (1 or more)', 1),
  PAYMENT_RETRY_BASE_MS: WholeNumber('a whole number of milliseconds', 0),
});

/** POSTs a JSON body and reads the whole answer; rejects on a network error or an abort. */
function postJson(
  url: string,
  body: string,
  agent: HttpAgent,
  signal: AbortSignal,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      'content-length': Buffer.byteLength(body),
    };
    const req = send(url, { method: 'POST', agent, signal, headers }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(new Error('the answer was cut off'));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The client's settings from the environment: PAYMENT_GATEWAY_URL (default
 * http://127.0.0.1:3100), PAYMENT_TIMEOUT_MS (2000), PAYMENT_RETRY_ATTEMPTS (4),
 * PAYMENT_RETRY_BASE_MS (500). Empty counts as unset; `Left` names each bad variable.
 */
export function paymentClientOptionsFromEnv(
  env: Record<string, string | undefined>,
): E.Either<
  string[],
  Required<Pick<PaymentClientOptions, 'baseUrl' | 'timeoutMs' | 'attempts' | 'baseDelayMs'>>
> {
  return pipe(
    decodeEnv(ClientEnv, env),
    E.map((v) => ({
      baseUrl: v.PAYMENT_GATEWAY_URL ?? 'http://127.0.0.1:3100',
      timeoutMs: v.PAYMENT_TIMEOUT_MS ?? 2_000,
      attempts: v.PAYMENT_RETRY_ATTEMPTS ?? 4,
      baseDelayMs: v.PAYMENT_RETRY_BASE_MS ?? 500,
    })),
  );
}
