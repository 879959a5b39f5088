import { createHash } from 'node:crypto';
import { uuidV7 } from '../infra/uuid-v7';
import { badRequest, HttpProblem } from '../api/problem';
import { brandOf, issueToken, parseToken, scenarioOf, type CardScenario } from './cards';
import type { ChargeRequest, RefundRequest, TokenRequest } from './codecs';
import type {
  Booking,
  ChargeEntry,
  ChargeToRefund,
  DeclineCode,
  Ledger,
  LedgerEntry,
  RefundEntry,
} from './ledger';
import type { GatewayOptions } from './options';

/** A response the gateway gave for an idempotency key, replayed to every repeat. */
interface StoredReply {
  status: number;
  body: unknown;
}

/** A ledger entry as the API shows it: `object` names the resource, as gateways do. */
function resourceOf(entry: LedgerEntry): Record<string, unknown> {
  const { kind, ...fields } = entry;
  return { object: kind, ...fields };
}

/** What a charge or refund answers, and whether the answer is to be held back (a timeout). */
export interface Outcome {
  reply: StoredReply;
  hold: boolean;
}

/**
 * A payment failure as the gateway answers it: a problem document (like every error of this
 * codebase) that also carries the `{error: {code, message}}` shape gateways use.
 */
export function paymentProblem(status: number, code: string, message: string): HttpProblem {
  return new HttpProblem(status, {
    code,
    detail: message,
    extensions: { error: { code, message } },
  });
}

const gatewayError = (status: 502 | 503, message: string): Outcome => ({
  reply: {
    status,
    body: paymentProblem(status, 'gateway_error', message).toProblem(),
  },
  hold: false,
});

/**
 * A request's identity for its idempotency key: a digest, as the ledger keeps it for good.
 * 128 bits of SHA-256 tell two requests apart as surely as the whole (22 characters, not 43).
 */
function fingerprintOf(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest().toString('base64url', 0, 16);
}

/**
 * 32 hex digits for a charge or refund id: a version 7 UUID without its dashes, so the
 * ledger's primary key grows in time order (see `uuidV7`); 74 of its bits are random.
 */
const randomId = (): string => uuidV7().replaceAll('-', '');

const DECLINE_MESSAGES: Record<DeclineCode, string> = {
  card_declined: 'The card was declined',
  insufficient_funds: 'The card has insufficient funds',
};

/** What a settled entry answers: the entry with 201, or a declined charge's 402. */
function replyFor(entry: LedgerEntry): StoredReply {
  if (entry.kind === 'charge' && entry.decline_code) {
    const code = entry.decline_code;
    return { status: 402, body: paymentProblem(402, code, DECLINE_MESSAGES[code]).toProblem() };
  }
  return { status: 201, body: resourceOf(entry) };
}

const keyReused = () =>
  paymentProblem(
    409,
    'idempotency_key_reused',
    'This idempotency key was used with a different request',
  );

/** A request whose key was settled (or taken by another request) before it could book. */
function outcomeOfSettled(settled: Exclude<Booking<LedgerEntry>, { kind: 'booked' }>): Outcome {
  if (settled.kind === 'conflict') throw keyReused();
  return { reply: replyFor(settled.entry), hold: false };
}

/**
 * The gateway's decisions, free of HTTP: tokenize, charge, refund. A request whose key is
 * settled gets the settled answer at once; a new one waits `pause` (the configured latency),
 * is decided and booked. The ledger's unique key, not this code, keeps two requests with one
 * key from both charging.
 */
export function createProcessing(
  options: GatewayOptions,
  ledger: Ledger,
  pause: () => Promise<void> = () => Promise.resolve(),
) {
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const transientFailures = options.transientFailures ?? 0;
  const roll = (rate: number | undefined): boolean => random() < (rate ?? 0);

  function tokenize(card: TokenRequest) {
    const today = now();
    const [year, month] = [today.getUTCFullYear(), today.getUTCMonth() + 1];
    if (card.exp_year < year) {
      throw badRequest([{ field: 'body.exp_year', message: 'the card has expired' }]);
    }
    if (card.exp_year === year && card.exp_month < month) {
      throw badRequest([{ field: 'body.exp_month', message: 'the card has expired' }]);
    }
    const tokenized = {
      scenario: scenarioOf(card.card_number),
      brand: brandOf(card.card_number),
      last4: card.card_number.slice(-4),
    };
    return { token: issueToken(tokenized), brand: tokenized.brand, last4: tokenized.last4 };
  }

  /** The settled answer when `key` settled something before, else undefined. */
  async function settledAnswer(key: string, fingerprint: string): Promise<Outcome | undefined> {
    const seen = await ledger.lookup(key, fingerprint);
    return seen.kind === 'new' ? undefined : outcomeOfSettled(seen);
  }

  /**
   * The settled answer when `key` was settled before, else undefined once the request may go
   * on: after the latency, and unless it is one of the key's first `transientFailures`.
   */
  async function settledOrReady(key: string, fingerprint: string): Promise<Outcome | undefined> {
    const settled = await settledAnswer(key, fingerprint);
    if (settled) return settled;
    await pause();
    if (transientFailures > 0 && ledger.attempt(key) <= transientFailures) {
      return gatewayError(503, 'The gateway is temporarily unavailable');
    }
    return undefined;
  }

  // With a latency or transient failures, a charge's key is looked up first, so that a repeat
  // is answered at once. Without them nothing comes before the decision: a charge is decided
  // and booked in one round trip, and a repeat is told by its booking finding the key taken
  // (an answer that books nothing, a gateway error, looks the key up before it is given).
  const lookUpFirst = Boolean(options.latencyMs) || transientFailures > 0;

  /** What the issuer and the configured rates make of a charge: an error, or its outcome. */
  function decide(card: {
    scenario: CardScenario;
  }): Outcome | { decline?: DeclineCode; hold: boolean } {
    switch (card.scenario) {
      case 'gateway_error':
        return gatewayError(502, 'The card network did not answer');
      case 'declined':
        return { decline: 'card_declined', hold: false };
      case 'insufficient_funds':
        return { decline: 'insufficient_funds', hold: false };
      case 'succeeds':
        return { hold: false };
      case 'rates': {
        // Always draw all three, in this order, so a seeded run is reproducible.
        const [timedOut, errored, declined] = [
          roll(options.timeoutRate),
          roll(options.errorRate),
          roll(options.failureRate),
        ];
        if (errored) return gatewayError(503, 'The gateway is temporarily unavailable');
        return { ...(declined && { decline: 'card_declined' as const }), hold: timedOut };
      }
    }
  }

  async function charge(req: ChargeRequest): Promise<Outcome> {
    const card = parseToken(req.token);
    if (!card) {
      throw badRequest([{ field: 'body.token', message: 'is not a token issued by this gateway' }]);
    }
    const key = req.idempotency_key;
    const fingerprint = fingerprintOf(['charge', req.amount, req.currency, req.token]);
    if (lookUpFirst) {
      const early = await settledOrReady(key, fingerprint);
      if (early) return early;
    }
    const decision = decide(card);
    if ('reply' in decision) {
      return (!lookUpFirst && (await settledAnswer(key, fingerprint))) || decision;
    }
    const { decline, hold } = decision;
    const entry: ChargeEntry = {
      kind: 'charge',
      id: `ch_${randomId()}`,
      idempotency_key: key,
      status: decline ? 'declined' : 'captured',
      ...(decline && { decline_code: decline }),
      amount: req.amount,
      currency: req.currency,
      brand: card.brand,
      last4: card.last4,
      created_at: now().toISOString(),
    };
    const booking = await ledger.bookCharge(entry, fingerprint);
    if (booking.kind !== 'booked') return outcomeOfSettled(booking);
    options.logger?.info(
      { charge_id: entry.id, idempotency_key: key, status: entry.status, amount: req.amount },
      'payment-gateway: charge settled',
    );
    return { reply: replyFor(entry), hold };
  }

  async function refund(req: RefundRequest): Promise<Outcome> {
    const key = req.idempotency_key;
    const fingerprint = fingerprintOf(['refund', req.charge_id, req.amount ?? null]);
    const early = await settledOrReady(key, fingerprint);
    if (early) return early;
    const refundOf = (charge: ChargeToRefund): RefundEntry => {
      if (charge.kind === 'missing') {
        throw paymentProblem(404, 'charge_not_found', 'No charge has this id');
      }
      if (charge.kind === 'not_captured') {
        throw paymentProblem(400, 'charge_not_captured', 'Only a captured charge can be refunded');
      }
      const remaining = charge.entry.amount - charge.refunded;
      const amount = req.amount ?? remaining;
      if (remaining === 0) {
        throw paymentProblem(400, 'charge_already_refunded', 'The charge is refunded in full');
      }
      if (amount > remaining) {
        throw paymentProblem(400, 'amount_too_large', `At most ${remaining} can be refunded`);
      }
      return {
        kind: 'refund',
        id: `re_${randomId()}`,
        idempotency_key: key,
        charge_id: charge.entry.id,
        status: 'succeeded',
        amount,
        currency: charge.entry.currency,
        created_at: now().toISOString(),
      };
    };
    const booking = await ledger.bookRefund(req.charge_id, fingerprint, refundOf);
    if (booking.kind !== 'booked') return outcomeOfSettled(booking);
    const entry = booking.entry;
    options.logger?.info(
      {
        refund_id: entry.id,
        charge_id: entry.charge_id,
        idempotency_key: key,
        amount: entry.amount,
      },
      'payment-gateway: refund settled',
    );
    return { reply: replyFor(entry), hold: false };
  }

  return { tokenize, charge, refund };
}
