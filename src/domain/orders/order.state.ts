import { assertNever } from '../decider';
import type { OrderEvent, OrderLine, OrderPlacedData } from './order.events';

/** The order statuses, exactly as the API and the order log show them. */
export const orderStatuses = [
  'pending',
  'stock_reserved',
  'paid',
  'processed',
  'shipped',
  'delivered',
  'cancelled',
  'failed',
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/**
 * The lifecycle graph (DESIGN.md section 4): the happy path pending → stock_reserved → paid
 * → processed → shipped → delivered, with `cancelled` before shipping and `failed` before
 * payment as side exits. Terminal statuses have no way out.
 */
export const orderTransitions: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['stock_reserved', 'cancelled', 'failed'],
  stock_reserved: ['paid', 'cancelled', 'failed'],
  paid: ['processed', 'cancelled'],
  processed: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
  failed: [],
};

export const canMove = (from: OrderStatus, to: OrderStatus): boolean =>
  orderTransitions[from].includes(to);

export const isTerminal = (status: OrderStatus): boolean => orderTransitions[status].length === 0;

/** An order that stopped without being fulfilled. */
export const isStopped = (status: OrderStatus): status is 'cancelled' | 'failed' =>
  status === 'cancelled' || status === 'failed';

const happyPath: readonly OrderStatus[] = orderStatuses.slice(0, 6);

/** True when `status` is `target` or past it on the happy path: the move is already done. */
export const reached = (status: OrderStatus, target: OrderStatus): boolean =>
  happyPath.includes(status) && happyPath.indexOf(status) >= happyPath.indexOf(target);

export interface OrderState {
  exists: boolean;
  orderId: string;
  userId: string;
  status: OrderStatus;
  items: readonly OrderLine[];
  totalPrice: number;
  currency: string;
  /** The placed content, to tell a repeated PlaceOrder from a conflicting one. */
  placed: OrderPlacedData | null;
  /** The last stock reservation attempt recorded (0: none failed yet). */
  stockAttempts: number;
  capture: { paymentId: string; amount: number } | null;
  refund: { refundId: string; amount: number } | null;
  failureReason: string | null;
}

export const initialOrderState: OrderState = {
  exists: false,
  orderId: '',
  userId: '',
  status: 'pending',
  items: [],
  totalPrice: 0,
  currency: '',
  placed: null,
  stockAttempts: 0,
  capture: null,
  refund: null,
  failureReason: null,
};

export function evolveOrder(s: OrderState, e: OrderEvent): OrderState {
  switch (e.type) {
    case 'OrderPlaced': {
      const { orderId, userId, items, totalPrice, currency } = e.data;
      return {
        ...s,
        exists: true,
        status: 'pending',
        orderId,
        userId,
        items,
        totalPrice,
        currency,
        placed: e.data,
      };
    }
    case 'OrderStockReserved':
      return { ...s, status: 'stock_reserved' };
    case 'OrderStockReservationFailed':
      return { ...s, stockAttempts: Math.max(s.stockAttempts, e.data.attempt) };
    case 'OrderPaymentCaptured': {
      const capture = { paymentId: e.data.paymentId, amount: e.data.amount };
      // A late capture on a stopped order is recorded (money moved) but changes no status.
      return { ...s, capture, status: e.data.closedAs ? s.status : 'paid' };
    }
    case 'OrderPaymentFailed':
      return s;
    case 'OrderProcessed':
      return { ...s, status: 'processed' };
    case 'OrderShipped':
      return { ...s, status: 'shipped' };
    case 'OrderDelivered':
      return { ...s, status: 'delivered' };
    case 'OrderCancelled':
      return { ...s, status: 'cancelled' };
    case 'OrderFailed':
      return { ...s, status: 'failed', failureReason: e.data.reason };
    case 'OrderRefunded':
      return { ...s, refund: { refundId: e.data.refundId, amount: e.data.amount } };
    default:
      return assertNever(e);
  }
}
