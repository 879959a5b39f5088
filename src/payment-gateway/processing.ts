import { createHash, randomUUID } from 'node:crypto';
import { badRequest, HttpProblem } from '../api/problem';
import { brandOf, issueToken, parseToken, scenarioOf } from './cards';
import type { ChargeRequest, RefundRequest, TokenRequest } from './codecs';
import { Ledger, resourceOf, type ChargeEntry, type DeclineCode, type StoredReply } from './ledger';
import type { GatewayOptions } from './options';

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
 * 32 hex digits for a charge or refund id: a v4 UUID without its dashes (122 random bits).
 * `randomUUID` draws from a buffer of random bytes; `randomBytes(16)`, a call into OpenSSL
 * per charge, came to 0.8% of the service's CPU under load.
 */
const randomId = (): string => randomUUID().replaceAll('-', '');

const DECLINE_MESSAGES: Record<DeclineCode, string> = {
  card_declined: 'The card was declined',
  insufficient_funds: 'The card has insufficient funds',
};

/**
 * The gateway's decisions, free of HTTP: tokenize, charge, refund. Everything from the
 * idempotency lookup to booking the result runs without an await, so two requests with the
 * same key can never both charge.
 */
export function createProcessing(options: GatewayOptions, ledger: Ledger) {
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

  function charge(req: ChargeRequest): Outcome {
    const card = parseToken(req.token);
    if (!card) {
      throw badRequest([{ field: 'body.token', message: 'is not a token issued by this gateway' }]);
    }
    const key = req.idempotency_key;
    const fingerprint = fingerprintOf(['charge', req.amount, req.currency, req.token]);
    const seen = replayOrConflict(key, fingerprint);
    if (seen) return seen;
    if (ledger.attempt(key) <= transientFailures) {
      return gatewayError(503, 'The gateway is temporarily unavailable');
    }

    let decline: DeclineCode | undefined;
    let hold = false;
    switch (card.scenario) {
      case 'gateway_error':
        return gatewayError(502, 'The card network did not answer');
      case 'declined':
        decline = 'card_declined';
        break;
      case 'insufficient_funds':
        decline = 'insufficient_funds';
        break;
      case 'succeeds':
        break;
      case 'rates': {
        // Always draw all three, in this order, so a seeded run is reproducible.
        const [timedOut, errored, declined] = [
          roll(options.timeoutRate),
          roll(options.errorRate),
          roll(options.failureRate),
        ];
        if (errored) return gatewayError(503, 'The gateway is temporarily unavailable');
        if (declined) decline = 'card_declined';
        hold = timedOut;
        break;
      }
    }

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
    const declined: StoredReply | undefined = decline && {
      status: 402,
      body: paymentProblem(402, decline, DECLINE_MESSAGES[decline]).toProblem(),
    };
    ledger.settle(entry, fingerprint, declined);
    const reply = declined ?? { status: 201, body: resourceOf(entry) };
    options.logger?.info(
      { charge_id: entry.id, idempotency_key: key, status: entry.status, amount: req.amount },
      'payment-gateway: charge settled',
    );
    return { reply, hold };
  }

  function refund(req: RefundRequest): Outcome {
    const key = req.idempotency_key;
    const fingerprint = fingerprintOf(['refund', req.charge_id, req.amount ?? null]);
    const seen = replayOrConflict(key, fingerprint);
    if (seen) return seen;
    if (ledger.attempt(key) <= transientFailures) {
      return gatewayError(503, 'The gateway is temporarily unavailable');
    }
    const charge = ledger.capturedCharge(req.charge_id);
    if (!charge) {
      throw ledger.chargeExists(req.charge_id)
        ? paymentProblem(400, 'charge_not_captured', 'Only a captured charge can be refunded')
        : paymentProblem(404, 'charge_not_found', 'No charge has this id');
    }
    const remaining = charge.amount - ledger.refundedAmount(charge.id);
    const amount = req.amount ?? remaining;
    if (remaining === 0) {
      throw paymentProblem(400, 'charge_already_refunded', 'The charge is refunded in full');
    }
    if (amount > remaining) {
      throw paymentProblem(400, 'amount_too_large', `At most ${remaining} can be refunded`);
    }
    const entry = {
      kind: 'refund' as const,
      id: `re_${randomId()}`,
      idempotency_key: key,
      charge_id: charge.id,
      status: 'succeeded' as const,
      amount,
      currency: charge.currency,
      created_at: now().toISOString(),
    };
    ledger.settle(entry, fingerprint);
    const reply = { status: 201, body: resourceOf(entry) };
    options.logger?.info(
      { refund_id: entry.id, charge_id: charge.id, idempotency_key: key, amount },
      'payment-gateway: refund settled',
    );
    return { reply, hold: false };
  }

  function replayOrConflict(key: string, fingerprint: string): Outcome | undefined {
    const seen = ledger.lookup(key, fingerprint);
    if (seen.kind === 'conflict') {
      throw paymentProblem(
        409,
        'idempotency_key_reused',
        'This idempotency key was used with a different request',
      );
    }
    return seen.kind === 'replay' ? { reply: seen.reply, hold: false } : undefined;
  }

  return { tokenize, charge, refund };
}
