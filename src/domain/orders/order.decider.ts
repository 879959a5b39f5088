import * as E from 'fp-ts/Either';
import { assertNever, type Decider } from '../decider';
import type { CancelledBy, OrderEvent, OrderPlacedData, StockLine } from './order.events';
import { placedData, sameContent, type InvalidOrder, type PlaceOrderInput } from './order.place';
import {
  canMove,
  evolveOrder,
  initialOrderState,
  isStopped,
  reached,
  type OrderState,
  type OrderStatus,
} from './order.state';

export { orderHistoryEntry, type OrderHistoryEntry } from './order.history';
export { orderLimits, type PlaceOrderInput } from './order.place';
export * from './order.state';

/**
 * One order's life. The fulfilment saga reports outcomes (stock, payment) with Mark*
 * commands; customers and admins cancel, ship and deliver. A command repeated after its
 * effect is already recorded decides nothing (`[]`), so a redelivered saga step is harmless.
 * Outcomes arriving after the order stopped (cancelled/failed) are no-ops, except a payment
 * capture: money moved, so it is recorded and a refund becomes due.
 */
type Base = { orderId: string; now: string };
export type OrderCommand =
  | ({ type: 'PlaceOrder' } & PlaceOrderInput)
  | ({ type: 'MarkStockReserved' } & Base)
  | ({
      type: 'MarkStockReservationFailed';
      reason: string;
      productId?: string;
      attempt: number;
      /** When the next attempt runs; absent: this was the last attempt, the order fails. */
      retryAt?: string;
    } & Base)
  | ({ type: 'MarkPaymentCaptured'; paymentId: string; amount: number } & Base)
  | ({ type: 'MarkPaymentFailed'; reason: string; retryable: boolean } & Base)
  | ({ type: 'MarkProcessed' } & Base)
  | ({ type: 'CancelOrder'; reason: string; by: CancelledBy } & Base)
  | ({ type: 'FailOrder'; reason: string } & Base)
  | ({ type: 'ShipOrder' } & Base)
  | ({ type: 'DeliverOrder' } & Base)
  | ({ type: 'MarkRefunded'; refundId: string; amount: number } & Base);

export type OrderError =
  | InvalidOrder
  | { code: 'ORDER_NOT_FOUND'; orderId: string }
  | { code: 'ORDER_ALREADY_EXISTS'; orderId: string }
  | { code: 'INVALID_TRANSITION'; from: OrderStatus; to: OrderStatus }
  | { code: 'ORDER_NOT_CANCELLABLE'; status: OrderStatus }
  | { code: 'ATTEMPT_OUT_OF_ORDER'; expected: number; actual: number }
  | { code: 'PAYMENT_ALREADY_CAPTURED'; paymentId: string }
  | { code: 'PAYMENT_AMOUNT_MISMATCH'; expected: number; actual: number }
  | { code: 'REFUND_NOT_DUE'; status: OrderStatus; paymentCaptured: boolean }
  | { code: 'ORDER_ALREADY_REFUNDED'; refundId: string };

type Decision = E.Either<OrderError, readonly OrderEvent[]>;

/** Statuses a customer or admin may cancel from: anything before shipping. */
export const cancellableStatuses: readonly OrderStatus[] = [
  'pending',
  'stock_reserved',
  'paid',
  'processed',
];

const stockLines = (s: OrderState): StockLine[] =>
  s.items.map(({ productId, quantity }) => ({ productId, quantity }));

/** A happy-path move: done already → `[]`; allowed by the graph → `events`; else refused. */
const advance = (s: OrderState, to: OrderStatus, events: readonly OrderEvent[]): Decision => {
  if (reached(s.status, to)) return E.right([]);
  if (!canMove(s.status, to)) return E.left({ code: 'INVALID_TRANSITION', from: s.status, to });
  return E.right(events);
};

export function decideOrder(cmd: OrderCommand, s: OrderState): Decision {
  if (cmd.type === 'PlaceOrder') {
    return E.chain((data: OrderPlacedData): Decision => {
      if (!s.placed) return E.right([{ type: 'OrderPlaced', data }]);
      if (sameContent(s.placed, data)) return E.right([]); // repeat: no-op
      return E.left({ code: 'ORDER_ALREADY_EXISTS', orderId: cmd.orderId });
    })(placedData(cmd));
  }
  if (!s.exists) return E.left({ code: 'ORDER_NOT_FOUND', orderId: cmd.orderId });
  const base = { orderId: s.orderId, at: cmd.now };
  const failed = (reason: string): OrderEvent => ({
    type: 'OrderFailed',
    data: { ...base, reason, stock: stockLines(s) },
  });
  switch (cmd.type) {
    case 'MarkStockReserved':
      return advance(s, 'stock_reserved', [{ type: 'OrderStockReserved', data: base }]);
    case 'MarkStockReservationFailed': {
      const final = cmd.retryAt === undefined;
      if (isStopped(s.status) || cmd.attempt <= s.stockAttempts) return E.right([]);
      if (s.status !== 'pending')
        return E.left({
          code: 'INVALID_TRANSITION',
          from: s.status,
          to: final ? 'failed' : 'pending',
        });
      if (cmd.attempt !== s.stockAttempts + 1)
        return E.left({
          code: 'ATTEMPT_OUT_OF_ORDER',
          expected: s.stockAttempts + 1,
          actual: cmd.attempt,
        });
      const { reason, attempt, productId, retryAt } = cmd;
      const event: OrderEvent = {
        type: 'OrderStockReservationFailed',
        data: {
          ...base,
          reason,
          attempt,
          ...(productId !== undefined ? { productId } : {}),
          ...(retryAt !== undefined ? { retryAt } : {}),
        },
      };
      // The last failure and the order's failure in one append: no window for a crash.
      return E.right(final ? [event, failed(reason)] : [event]);
    }
    case 'MarkPaymentCaptured': {
      if (s.capture) {
        if (s.capture.paymentId === cmd.paymentId) return E.right([]); // repeat: no-op
        return E.left({ code: 'PAYMENT_ALREADY_CAPTURED', paymentId: s.capture.paymentId });
      }
      if (cmd.amount !== s.totalPrice)
        return E.left({
          code: 'PAYMENT_AMOUNT_MISMATCH',
          expected: s.totalPrice,
          actual: cmd.amount,
        });
      const data = { ...base, paymentId: cmd.paymentId, amount: cmd.amount };
      if (isStopped(s.status))
        return E.right([{ type: 'OrderPaymentCaptured', data: { ...data, closedAs: s.status } }]);
      return advance(s, 'paid', [{ type: 'OrderPaymentCaptured', data }]);
    }
    case 'MarkPaymentFailed': {
      if (isStopped(s.status)) return E.right([]);
      if (s.status !== 'stock_reserved')
        return E.left({ code: 'INVALID_TRANSITION', from: s.status, to: 'failed' });
      const event: OrderEvent = {
        type: 'OrderPaymentFailed',
        data: { ...base, reason: cmd.reason, retryable: cmd.retryable },
      };
      return E.right(cmd.retryable ? [event] : [event, failed(`payment failed: ${cmd.reason}`)]);
    }
    case 'MarkProcessed':
      return advance(s, 'processed', [{ type: 'OrderProcessed', data: base }]);
    case 'ShipOrder':
      return advance(s, 'shipped', [{ type: 'OrderShipped', data: base }]);
    case 'DeliverOrder':
      return advance(s, 'delivered', [{ type: 'OrderDelivered', data: base }]);
    case 'CancelOrder':
      if (s.status === 'cancelled') return E.right([]); // repeat: no-op
      if (!cancellableStatuses.includes(s.status))
        return E.left({ code: 'ORDER_NOT_CANCELLABLE', status: s.status });
      return E.right([
        {
          type: 'OrderCancelled',
          data: {
            ...base,
            reason: cmd.reason,
            by: cmd.by,
            refundDue: s.capture !== null && s.refund === null,
            stockAction: s.status === 'processed' ? 'return' : 'release',
            stock: stockLines(s),
          },
        },
      ]);
    case 'FailOrder':
      if (s.status === 'failed') return E.right([]); // repeat: no-op
      if (!canMove(s.status, 'failed'))
        return E.left({ code: 'INVALID_TRANSITION', from: s.status, to: 'failed' });
      return E.right([failed(cmd.reason)]);
    case 'MarkRefunded':
      if (s.refund) {
        if (s.refund.refundId === cmd.refundId) return E.right([]); // repeat: no-op
        return E.left({ code: 'ORDER_ALREADY_REFUNDED', refundId: s.refund.refundId });
      }
      if (!s.capture || !isStopped(s.status))
        return E.left({
          code: 'REFUND_NOT_DUE',
          status: s.status,
          paymentCaptured: s.capture !== null,
        });
      if (cmd.amount !== s.capture.amount)
        return E.left({
          code: 'PAYMENT_AMOUNT_MISMATCH',
          expected: s.capture.amount,
          actual: cmd.amount,
        });
      return E.right([
        { type: 'OrderRefunded', data: { ...base, refundId: cmd.refundId, amount: cmd.amount } },
      ]);
    default:
      return assertNever(cmd);
  }
}

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState, OrderError> = {
  decide: decideOrder,
  evolve: evolveOrder,
  initialState: initialOrderState,
};
