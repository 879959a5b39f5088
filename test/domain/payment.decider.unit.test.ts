import * as E from 'fp-ts/Either';
import fc from 'fast-check';
import { fold } from '../../src/domain/decider';
import { paymentDecider, type PaymentCommand } from '../../src/domain/payments/payment.decider';
import type { PaymentEvent } from '../../src/domain/payments/payment.events';
import { spec } from '../support/decider-spec';

const orderId = 'o-1';
const now = '2026-11-21T10:00:00.000Z';
const retryAt = '2026-11-21T10:00:01.000Z';
const base = { orderId, at: now };
const payment = spec(paymentDecider);

const request = (attempt: number): PaymentCommand => ({
  type: 'RequestPayment',
  orderId,
  amount: 2999,
  currency: 'USD',
  attempt,
  now,
});
const failAttempt = (attempt: number): PaymentCommand => ({
  type: 'FailPaymentAttempt',
  orderId,
  attempt,
  reason: 'timeout',
  retryAt,
  now,
});
const capture = (transactionId: string, amount = 2999): PaymentCommand => ({
  type: 'CapturePayment',
  orderId,
  transactionId,
  amount,
  now,
});
const decline: PaymentCommand = { type: 'FailPayment', orderId, reason: 'declined', now };
const refund = (refundId: string, amount = 2999): PaymentCommand => ({
  type: 'RefundPayment',
  orderId,
  refundId,
  amount,
  now,
});

const requested = (attempt: number): PaymentEvent => ({
  type: 'PaymentRequested',
  data: { ...base, amount: 2999, currency: 'USD', idempotencyKey: orderId, attempt },
});
const attemptFailed = (attempt: number): PaymentEvent => ({
  type: 'PaymentAttemptFailed',
  data: { ...base, reason: 'timeout', attempt, retryAt },
});
const captured = (transactionId: string): PaymentEvent => ({
  type: 'PaymentCaptured',
  data: { ...base, transactionId, amount: 2999 },
});
const declined: PaymentEvent = { type: 'PaymentFailed', data: { ...base, reason: 'declined' } };
const refunded: PaymentEvent = {
  type: 'PaymentRefunded',
  data: { ...base, refundId: 'rf-1', amount: 2999 },
};

describe('payment decider', () => {
  it('requests the first attempt with the order id as idempotency key', () => {
    payment.when(request(1)).then([requested(1)]);
  });

  it('numbers attempts in order, one in flight at a time', () => {
    payment.when(request(2)).thenFails('ATTEMPT_OUT_OF_ORDER', { expected: 1, actual: 2 });
    payment
      .given([requested(1)])
      .when(request(1))
      .then([]); // repeat: no-op
    payment
      .given([requested(1)])
      .when(request(2))
      .thenFails('ATTEMPT_IN_FLIGHT', { attempt: 1 });
    payment
      .given([requested(1)])
      .when(failAttempt(1))
      .then([attemptFailed(1)]);
    payment
      .given([requested(1), attemptFailed(1)])
      .when(failAttempt(1))
      .then([]);
    payment
      .given([requested(1), attemptFailed(1)])
      .when(request(2))
      .then([requested(2)]);
    payment
      .given([requested(1), attemptFailed(1)])
      .when(request(3))
      .thenFails('ATTEMPT_OUT_OF_ORDER', { expected: 2, actual: 3 });
    payment
      .given([requested(1), attemptFailed(1), requested(2)])
      .when(failAttempt(1))
      .then([]);
    payment
      .given([requested(1)])
      .when(failAttempt(2))
      .thenFails('ATTEMPT_OUT_OF_ORDER', { expected: 1, actual: 2 });
  });

  it('refuses a bad amount and a later attempt for another amount', () => {
    payment.when({ ...request(1), amount: 0 } as PaymentCommand).thenFails('INVALID_AMOUNT', {
      field: 'amount',
    });
    payment.when({ ...request(1), currency: 'usd' } as PaymentCommand).thenFails('INVALID_AMOUNT', {
      field: 'currency',
    });
    payment
      .given([requested(1), attemptFailed(1)])
      .when({ ...request(2), amount: 100 } as PaymentCommand)
      .thenFails('PAYMENT_AMOUNT_MISMATCH', { expected: 2999, actual: 100 });
  });

  it('refuses outcomes for a payment never requested', () => {
    payment.when(capture('txn-1')).thenFails('PAYMENT_NOT_REQUESTED', { orderId });
    payment.when(decline).thenFails('PAYMENT_NOT_REQUESTED');
    payment.when(refund('rf-1')).thenFails('PAYMENT_NOT_REQUESTED');
  });

  it('captures once: the same transaction again is a no-op, another is an error', () => {
    payment
      .given([requested(1)])
      .when(capture('txn-1'))
      .then([captured('txn-1')]);
    payment
      .given([requested(1), captured('txn-1')])
      .when(capture('txn-1'))
      .then([]);
    payment
      .given([requested(1), captured('txn-1')])
      .when(capture('txn-2'))
      .thenFails('PAYMENT_ALREADY_CAPTURED', { transactionId: 'txn-1' });
    payment
      .given([requested(1)])
      .when(capture('txn-1', 100))
      .thenFails('PAYMENT_AMOUNT_MISMATCH', { expected: 2999, actual: 100 });
  });

  it('accepts a capture after a timed-out attempt: the charge may have gone through', () => {
    payment
      .given([requested(1), attemptFailed(1)])
      .when(capture('txn-1'))
      .then([captured('txn-1')]);
  });

  it('fails finally, once, and never after a capture', () => {
    payment
      .given([requested(1)])
      .when(decline)
      .then([declined]);
    payment
      .given([requested(1), attemptFailed(1)])
      .when(decline)
      .then([declined]);
    payment
      .given([requested(1), declined])
      .when(decline)
      .then([]);
    payment
      .given([requested(1), captured('txn-1')])
      .when(decline)
      .thenFails('PAYMENT_ALREADY_CAPTURED');
  });

  it('allows no attempt and no capture after a final outcome', () => {
    payment
      .given([requested(1), declined])
      .when(request(2))
      .thenFails('PAYMENT_CLOSED', {
        status: 'failed',
      });
    payment
      .given([requested(1), declined])
      .when(failAttempt(1))
      .thenFails('PAYMENT_CLOSED');
    payment
      .given([requested(1), declined])
      .when(capture('txn-1'))
      .thenFails('PAYMENT_CLOSED');
    payment
      .given([requested(1), captured('txn-1')])
      .when(request(2))
      .thenFails('PAYMENT_CLOSED', { status: 'captured' });
    // A saga redelivering the attempt it already made: nothing to do.
    payment
      .given([requested(1), captured('txn-1')])
      .when(request(1))
      .then([]);
  });

  it('refunds only a captured payment, once, in full', () => {
    payment
      .given([requested(1), captured('txn-1')])
      .when(refund('rf-1'))
      .then([refunded]);
    payment
      .given([requested(1), captured('txn-1'), refunded])
      .when(refund('rf-1'))
      .then([]);
    payment
      .given([requested(1), captured('txn-1'), refunded])
      .when(refund('rf-2'))
      .thenFails('PAYMENT_ALREADY_REFUNDED', { refundId: 'rf-1' });
    payment
      .given([requested(1)])
      .when(refund('rf-1'))
      .thenFails('PAYMENT_NOT_CAPTURED', { status: 'requested' });
    payment
      .given([requested(1), declined])
      .when(refund('rf-1'))
      .thenFails('PAYMENT_NOT_CAPTURED', { status: 'failed' });
    payment
      .given([requested(1), captured('txn-1')])
      .when(refund('rf-1', 1))
      .thenFails('PAYMENT_AMOUNT_MISMATCH');
    payment
      .given([requested(1), captured('txn-1'), refunded])
      .when(capture('txn-1'))
      .then([]);
  });

  it('never captures twice nor refunds without a capture, for any commands (property)', () => {
    const attempt = fc.integer({ min: 0, max: 4 });
    const command: fc.Arbitrary<PaymentCommand> = fc.oneof(
      attempt.map(request),
      attempt.map(failAttempt),
      fc.constantFrom('txn-1', 'txn-2').map((t) => capture(t)),
      fc.constant(decline),
      fc.constantFrom('rf-1', 'rf-2').map((r) => refund(r)),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (cmds) => {
        const history: PaymentEvent[] = [];
        for (const c of cmds) {
          const decision = paymentDecider.decide(c, fold(paymentDecider, history));
          if (E.isRight(decision)) history.push(...decision.right);
        }
        let attempts = 0;
        let outcome: 'captured' | 'failed' | null = null;
        let refunds = 0;
        for (const e of history) {
          switch (e.type) {
            case 'PaymentRequested':
              expect(outcome).toBeNull();
              expect(e.data.attempt).toBe(attempts + 1);
              attempts = e.data.attempt;
              break;
            case 'PaymentAttemptFailed':
              expect(outcome).toBeNull();
              expect(e.data.attempt).toBe(attempts);
              break;
            case 'PaymentCaptured':
            case 'PaymentFailed':
              expect(outcome).toBeNull();
              expect(attempts).toBeGreaterThan(0);
              outcome = e.type === 'PaymentCaptured' ? 'captured' : 'failed';
              break;
            case 'PaymentRefunded':
              expect(outcome).toBe('captured');
              refunds += 1;
              break;
          }
        }
        expect(refunds).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });
});
