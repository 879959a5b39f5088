import { assertNever } from '../decider';
import type { OrderEvent } from './order.events';
import type { OrderStatus } from './order.state';

/** One line of the order log (`GET /orders/{id}/history`). */
export interface OrderHistoryEntry {
  status: OrderStatus;
  /** Why, for the side exits and the notable moves; `null` on a plain happy-path step. */
  reason: string | null;
  at: string;
}

/**
 * The log line an event adds, or `undefined` when it changes no status: a reservation
 * attempt that will be retried, a retryable payment failure, a refund, or a capture that
 * landed after the order stopped. Pure and per event, so a projection needs no state.
 */
export function orderHistoryEntry(e: OrderEvent): OrderHistoryEntry | undefined {
  const at = e.data.at;
  const entry = (status: OrderStatus, reason: string | null = null) => ({ status, reason, at });
  switch (e.type) {
    case 'OrderPlaced':
      return entry('pending', 'order placed');
    case 'OrderStockReserved':
      return entry('stock_reserved');
    case 'OrderPaymentCaptured':
      return e.data.closedAs ? undefined : entry('paid');
    case 'OrderProcessed':
      return entry('processed');
    case 'OrderShipped':
      return entry('shipped');
    case 'OrderDelivered':
      return entry('delivered');
    case 'OrderCancelled':
      return entry('cancelled', `cancelled by ${e.data.by}: ${e.data.reason}`);
    case 'OrderFailed':
      return entry('failed', e.data.reason);
    case 'OrderStockReservationFailed':
    case 'OrderPaymentFailed':
    case 'OrderRefunded':
      return undefined;
    default:
      return assertNever(e);
  }
}
