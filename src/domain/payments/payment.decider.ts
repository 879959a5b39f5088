import * as E from 'fp-ts/Either';
import { assertNever, type Decider } from '../decider';
import type { AttemptFailureReason, PaymentEvent, PaymentFailureReason } from './payment.events';

/**
 * One order's payment: attempts numbered 1, 2, 3... (one in flight at a time), then exactly
 * one final outcome, captured or failed; a captured payment may be refunded once. A timed-out
 * attempt may still have charged the card, so a capture is accepted after a failed attempt.
 */
type Base = { orderId: string; now: string };
export type PaymentCommand =
  | ({ type: 'RequestPayment'; amount: number; currency: string; attempt: number } & Base)
  | ({
      type: 'FailPaymentAttempt';
      attempt: number;
      reason: AttemptFailureReason;
      retryAt: string;
    } & Base)
  | ({ type: 'CapturePayment'; transactionId: string; amount: number } & Base)
  | ({ type: 'FailPayment'; reason: PaymentFailureReason } & Base)
  | ({ type: 'RefundPayment'; refundId: string; amount: number } & Base);

export type PaymentStatus =
  'none' | 'requested' | 'retry_scheduled' | 'captured' | 'failed' | 'refunded';

export type PaymentError =
  | { code: 'PAYMENT_NOT_REQUESTED'; orderId: string }
  | { code: 'INVALID_AMOUNT'; field: 'amount' | 'currency' }
  | { code: 'PAYMENT_AMOUNT_MISMATCH'; expected: number; actual: number }
  | { code: 'ATTEMPT_OUT_OF_ORDER'; expected: number; actual: number }
  | { code: 'ATTEMPT_IN_FLIGHT'; attempt: number }
  | { code: 'PAYMENT_CLOSED'; status: PaymentStatus }
  | { code: 'PAYMENT_ALREADY_CAPTURED'; transactionId: string }
  | { code: 'PAYMENT_NOT_CAPTURED'; status: PaymentStatus }
  | { code: 'PAYMENT_ALREADY_REFUNDED'; refundId: string };

export interface PaymentState {
  status: PaymentStatus;
  orderId: string;
  amount: number;
  currency: string;
  /** The last attempt requested (0: none). */
  attempt: number;
  /** The last attempt that failed transiently (0: none). */
  failedAttempt: number;
  transactionId: string | null;
  refundId: string | null;
}

export const initialPaymentState: PaymentState = {
  status: 'none',
  orderId: '',
  amount: 0,
  currency: '',
  attempt: 0,
  failedAttempt: 0,
  transactionId: null,
  refundId: null,
};

/** A final outcome was recorded: no attempt may follow. */
export const isClosed = (status: PaymentStatus): boolean =>
  status === 'captured' || status === 'failed' || status === 'refunded';

type Decision = E.Either<PaymentError, readonly PaymentEvent[]>;

export function decidePayment(cmd: PaymentCommand, s: PaymentState): Decision {
  const base = { orderId: cmd.orderId, at: cmd.now };
  if (cmd.type !== 'RequestPayment' && s.status === 'none')
    return E.left({ code: 'PAYMENT_NOT_REQUESTED', orderId: cmd.orderId });
  switch (cmd.type) {
    case 'RequestPayment': {
      if (cmd.attempt >= 1 && cmd.attempt <= s.attempt) return E.right([]); // repeat: no-op
      if (isClosed(s.status)) return E.left({ code: 'PAYMENT_CLOSED', status: s.status });
      if (!Number.isSafeInteger(cmd.amount) || cmd.amount < 1)
        return E.left({ code: 'INVALID_AMOUNT', field: 'amount' });
      if (!/^[A-Z]{3}$/.test(cmd.currency))
        return E.left({ code: 'INVALID_AMOUNT', field: 'currency' });
      if (s.attempt > 0 && (cmd.amount !== s.amount || cmd.currency !== s.currency))
        return E.left({ code: 'PAYMENT_AMOUNT_MISMATCH', expected: s.amount, actual: cmd.amount });
      if (cmd.attempt !== s.attempt + 1)
        return E.left({
          code: 'ATTEMPT_OUT_OF_ORDER',
          expected: s.attempt + 1,
          actual: cmd.attempt,
        });
      if (s.status === 'requested')
        return E.left({ code: 'ATTEMPT_IN_FLIGHT', attempt: s.attempt });
      const { amount, currency, attempt } = cmd;
      return E.right([
        {
          type: 'PaymentRequested',
          data: { ...base, amount, currency, idempotencyKey: cmd.orderId, attempt },
        },
      ]);
    }
    case 'FailPaymentAttempt':
      if (cmd.attempt >= 1 && cmd.attempt <= s.failedAttempt) return E.right([]); // repeat
      if (isClosed(s.status)) return E.left({ code: 'PAYMENT_CLOSED', status: s.status });
      if (cmd.attempt !== s.attempt || s.status !== 'requested')
        return E.left({ code: 'ATTEMPT_OUT_OF_ORDER', expected: s.attempt, actual: cmd.attempt });
      return E.right([
        {
          type: 'PaymentAttemptFailed',
          data: { ...base, reason: cmd.reason, attempt: cmd.attempt, retryAt: cmd.retryAt },
        },
      ]);
    case 'CapturePayment':
      if (s.transactionId !== null) {
        if (s.transactionId === cmd.transactionId) return E.right([]); // repeat: no-op
        return E.left({ code: 'PAYMENT_ALREADY_CAPTURED', transactionId: s.transactionId });
      }
      if (isClosed(s.status)) return E.left({ code: 'PAYMENT_CLOSED', status: s.status });
      if (cmd.amount !== s.amount)
        return E.left({ code: 'PAYMENT_AMOUNT_MISMATCH', expected: s.amount, actual: cmd.amount });
      return E.right([
        {
          type: 'PaymentCaptured',
          data: { ...base, transactionId: cmd.transactionId, amount: cmd.amount },
        },
      ]);
    case 'FailPayment':
      if (s.status === 'failed') return E.right([]); // already failed: no-op
      if (s.transactionId !== null)
        return E.left({ code: 'PAYMENT_ALREADY_CAPTURED', transactionId: s.transactionId });
      return E.right([{ type: 'PaymentFailed', data: { ...base, reason: cmd.reason } }]);
    case 'RefundPayment':
      if (s.refundId !== null) {
        if (s.refundId === cmd.refundId) return E.right([]); // repeat: no-op
        return E.left({ code: 'PAYMENT_ALREADY_REFUNDED', refundId: s.refundId });
      }
      if (s.status !== 'captured')
        return E.left({ code: 'PAYMENT_NOT_CAPTURED', status: s.status });
      if (cmd.amount !== s.amount)
        return E.left({ code: 'PAYMENT_AMOUNT_MISMATCH', expected: s.amount, actual: cmd.amount });
      return E.right([
        { type: 'PaymentRefunded', data: { ...base, refundId: cmd.refundId, amount: cmd.amount } },
      ]);
    default:
      return assertNever(cmd);
  }
}

export function evolvePayment(s: PaymentState, e: PaymentEvent): PaymentState {
  switch (e.type) {
    case 'PaymentRequested': {
      const { orderId, amount, currency, attempt } = e.data;
      return { ...s, status: 'requested', orderId, amount, currency, attempt };
    }
    case 'PaymentAttemptFailed':
      return { ...s, status: 'retry_scheduled', failedAttempt: e.data.attempt };
    case 'PaymentCaptured':
      return { ...s, status: 'captured', transactionId: e.data.transactionId };
    case 'PaymentFailed':
      return { ...s, status: 'failed' };
    case 'PaymentRefunded':
      return { ...s, status: 'refunded', refundId: e.data.refundId };
    default:
      return assertNever(e);
  }
}

export const paymentDecider: Decider<PaymentCommand, PaymentEvent, PaymentState, PaymentError> = {
  decide: decidePayment,
  evolve: evolvePayment,
  initialState: initialPaymentState,
};
