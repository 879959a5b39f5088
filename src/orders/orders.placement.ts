import { createHash } from 'node:crypto';
import { decode } from '../api/decode';
import { domainProblem, orProblem } from '../api/domain-errors';
import { badRequest, HttpProblem, type FieldError } from '../api/problem';
import type { CommandMetadata } from '../commands/command-handler';
import {
  claimIdempotencyKey,
  loadOrder,
  orderIdForKey,
  placeOrder,
  prepareOrder,
} from '../commands/orders.commands';
import type { PaymentSummary } from '../domain/orders/order.events';
import { evolveOrder, initialOrderState, type OrderState } from '../domain/orders/order.state';
import type { EventStore } from '../eventstore';
import type { PaymentClient } from '../processes/payment-client';
import { uuidV7 } from '../infra/uuid-v7';
import type { Pool } from 'pg';
import { IdempotencyKey, PlaceOrderBody, type PaymentBody } from './orders.codecs';

export interface PlacementDeps {
  store: EventStore;
  pool: Pool;
  /** Absent when no PAYMENT_GATEWAY_URL is set: card orders then answer 503. */
  paymentClient?: PaymentClient;
  now: () => Date;
}

export interface Placed {
  orderId: string;
  /** Where the read model must be for the answer (0n: nothing new was written). */
  position: bigint;
  /** The order as its stream tells, when the placement was a repeat of an earlier one. */
  existing?: OrderState;
  /** The order as placed (status pending): the answer to a placement that wrote. */
  placed?: OrderState;
}

const gatewayUnavailable = () =>
  new HttpProblem(503, {
    code: 'payment_gateway_unavailable',
    detail: 'Card payments are unavailable right now; try again later or pay with a token',
  });

/** Checks decoding alone cannot make: duplicate products, one address, an unexpired card. */
function shapeErrors(body: PlaceOrderBody, now: Date): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  body.items.forEach((line, i) => {
    if (seen.has(line.product_id))
      errors.push({ field: `body.items[${i}].product_id`, message: 'appears on another line' });
    seen.add(line.product_id);
  });
  if ((body.shipping_address === undefined) === (body.address_id === undefined))
    errors.push({
      field: 'body.shipping_address',
      message: 'give either shipping_address or address_id (exactly one)',
    });
  const p = body.payment;
  if (p.method === 'card') {
    const [year, month] = [now.getUTCFullYear(), now.getUTCMonth() + 1];
    if (p.exp_year < year)
      errors.push({ field: 'body.payment.exp_year', message: 'the card has expired' });
    else if (p.exp_year === year && p.exp_month < month)
      errors.push({ field: 'body.payment.exp_month', message: 'the card has expired' });
  }
  return errors;
}

/**
 * What identifies a request under an idempotency key. The card number is replaced by its
 * last four digits and the cvc left out: no hash of a card number is ever stored.
 */
function fingerprint(body: PlaceOrderBody): string {
  const payment =
    body.payment.method === 'card'
      ? {
          method: 'card',
          last4: body.payment.card_number.slice(-4),
          exp_month: body.payment.exp_month,
          exp_year: body.payment.exp_year,
        }
      : body.payment;
  const canonical = JSON.stringify([
    body.items.map((l) => [l.product_id, l.quantity, l.price ?? null]),
    body.shipping_address ?? null,
    body.address_id ?? null,
    payment,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The payment summary for the event and the token for the saga. */
async function tokenOf(
  deps: PlacementDeps,
  payment: PaymentBody,
): Promise<{ summary: PaymentSummary; token: string }> {
  if (payment.method === 'token') return { summary: { method: 'token' }, token: payment.token };
  if (!deps.paymentClient) throw gatewayUnavailable();
  const { card_number, exp_month, exp_year, cvc } = payment;
  const result = await deps.paymentClient.tokenize({ card_number, exp_month, exp_year, cvc });
  if (result.kind === 'unavailable') throw gatewayUnavailable();
  if (result.kind === 'invalid') {
    const fields = result.fields.length > 0 ? result.fields : ['body.card_number'];
    throw badRequest(
      fields.map((f) => ({
        field: `body.payment.${f.replace(/^body\./, '')}`,
        message: 'refused by the payment gateway',
      })),
    );
  }
  return {
    summary: { method: 'card', brand: result.brand, last4: result.last4 },
    token: result.token,
  };
}

/**
 * POST /orders, up to the append: decode and check the body (400 naming every bad field),
 * price it from the catalog and resolve the address (422 / 409 `price_changed`), tokenize a
 * card, claim the idempotency key (422 when it went with another body), then place. Nothing
 * is written before every check has passed, so bad input changes nothing.
 */
export async function placeFromRequest(
  deps: PlacementDeps,
  input: { userId: string; body: unknown; idempotencyKey: unknown; metadata: CommandMetadata },
): Promise<Placed> {
  const body = decode(PlaceOrderBody, input.body, 'body');
  const key =
    input.idempotencyKey === undefined
      ? undefined
      : decode(IdempotencyKey, input.idempotencyKey, 'headers');
  const now = deps.now();
  const errors = shapeErrors(body, now);
  if (errors.length > 0) throw badRequest(errors);

  const prepared = orProblem(
    await prepareOrder(
      deps.pool,
      input.userId,
      body.items.map((l) => ({
        productId: l.product_id,
        quantity: l.quantity,
        ...(l.price !== undefined && { price: l.price }),
      })),
      body.address_id !== undefined
        ? { addressId: body.address_id }
        : // shapeErrors made sure one of the two is there.
          { shippingAddress: body.shipping_address! },
    ),
  );
  const { summary, token } = await tokenOf(deps, body.payment);

  let orderId: string;
  if (key === undefined) {
    orderId = uuidV7();
  } else {
    orderId = orderIdForKey(input.userId, key);
    const claim = await claimIdempotencyKey(deps.pool, input.userId, key, fingerprint(body));
    if (claim === 'conflict') throw domainProblem({ code: 'IDEMPOTENCY_KEY_REUSED' });
    if (claim === 'repeat') {
      const existing = await loadOrder(deps.store, orderId);
      if (existing.exists) return { orderId, position: 0n, existing };
    }
  }
  const result = orProblem(
    await placeOrder(
      deps,
      {
        ...prepared,
        orderId,
        userId: input.userId,
        payment: summary,
        paymentToken: token,
        now: now.toISOString(),
      },
      input.metadata,
    ),
  );
  const placed = result.events.reduce(
    (state, event) => evolveOrder(state, event),
    initialOrderState,
  );
  return { orderId, position: result.position, ...(placed.exists && { placed }) };
}
