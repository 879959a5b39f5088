import * as t from 'io-ts';

/**
 * Events of a `payment-{orderId}` stream: one order's charge at the gateway. Amounts are
 * integer minor units; `at` is an ISO-8601 time carried in from the command. The order id
 * is the gateway's idempotency key, so every attempt of one order is the same charge.
 */
const base = { orderId: t.string, at: t.string };

export const AttemptFailureReason = t.union([t.literal('gateway_error'), t.literal('timeout')]);
export type AttemptFailureReason = t.TypeOf<typeof AttemptFailureReason>;

export const PaymentFailureReason = t.union([
  t.literal('declined'),
  t.literal('insufficient_funds'),
  t.literal('gateway_unavailable'),
]);
export type PaymentFailureReason = t.TypeOf<typeof PaymentFailureReason>;

export const PaymentRequested = t.type({
  type: t.literal('PaymentRequested'),
  data: t.type({
    ...base,
    amount: t.number,
    currency: t.string,
    idempotencyKey: t.string,
    attempt: t.number,
  }),
});
/** A transient failure: the same charge is tried again at `retryAt`. */
export const PaymentAttemptFailed = t.type({
  type: t.literal('PaymentAttemptFailed'),
  data: t.type({ ...base, reason: AttemptFailureReason, attempt: t.number, retryAt: t.string }),
});
export const PaymentCaptured = t.type({
  type: t.literal('PaymentCaptured'),
  data: t.type({ ...base, transactionId: t.string, amount: t.number }),
});
/** The final refusal: no attempt follows. */
export const PaymentFailed = t.type({
  type: t.literal('PaymentFailed'),
  data: t.type({ ...base, reason: PaymentFailureReason }),
});
export const PaymentRefunded = t.type({
  type: t.literal('PaymentRefunded'),
  data: t.type({ ...base, refundId: t.string, amount: t.number }),
});

export const PaymentEvent = t.union([
  PaymentRequested,
  PaymentAttemptFailed,
  PaymentCaptured,
  PaymentFailed,
  PaymentRefunded,
]);
export type PaymentEvent = t.TypeOf<typeof PaymentEvent>;
export type PaymentEventType = PaymentEvent['type'];

export const paymentStream = (orderId: string): string => `payment-${orderId}`;
