import * as t from 'io-ts';

/**
 * Events of an `order-{orderId}` stream. Money is integer minor units (cents) in the order's
 * `currency`; `at` is an ISO-8601 time carried in from the command. No event ever holds a
 * card number: the payment summary keeps the method, the brand and the last four digits.
 */
const base = { orderId: t.string, at: t.string };

export const OrderLine = t.type({
  productId: t.string,
  quantity: t.number,
  unitPrice: t.number,
  lineTotal: t.number,
});
export type OrderLine = t.TypeOf<typeof OrderLine>;

/** One product's units an order holds or held in inventory (what a compensation touches). */
export const StockLine = t.type({ productId: t.string, quantity: t.number });
export type StockLine = t.TypeOf<typeof StockLine>;

export const ShippingAddress = t.intersection([
  t.type({
    line1: t.string,
    city: t.string,
    state: t.string,
    postal_code: t.string,
    country: t.string,
  }),
  t.partial({ line2: t.string }),
]);
export type ShippingAddress = t.TypeOf<typeof ShippingAddress>;

export const PaymentSummary = t.intersection([
  t.type({ method: t.union([t.literal('card'), t.literal('token')]) }),
  t.partial({ brand: t.string, last4: t.string }),
]);
export type PaymentSummary = t.TypeOf<typeof PaymentSummary>;

export const CancelledBy = t.union([
  t.literal('customer'),
  t.literal('admin'),
  t.literal('system'),
]);
export type CancelledBy = t.TypeOf<typeof CancelledBy>;

export const OrderPlacedData = t.type({
  ...base,
  userId: t.string,
  items: t.array(OrderLine),
  totalPrice: t.number,
  currency: t.string,
  shippingAddress: ShippingAddress,
  payment: PaymentSummary,
});
export type OrderPlacedData = t.TypeOf<typeof OrderPlacedData>;

export const OrderPlaced = t.type({ type: t.literal('OrderPlaced'), data: OrderPlacedData });
export const OrderStockReserved = t.type({
  type: t.literal('OrderStockReserved'),
  data: t.type(base),
});
/** One reservation attempt failed: `retryAt` when another is scheduled, absent when final. */
export const OrderStockReservationFailed = t.type({
  type: t.literal('OrderStockReservationFailed'),
  data: t.intersection([
    t.type({ ...base, reason: t.string, attempt: t.number }),
    t.partial({ productId: t.string, retryAt: t.string }),
  ]),
});
/**
 * Money moved: `paymentId` is the gateway's transaction reference. `closedAs` is set when the
 * capture landed after the order had already stopped: the status stays, a refund is due.
 */
export const OrderPaymentCaptured = t.type({
  type: t.literal('OrderPaymentCaptured'),
  data: t.intersection([
    t.type({ ...base, paymentId: t.string, amount: t.number }),
    t.partial({ closedAs: t.union([t.literal('cancelled'), t.literal('failed')]) }),
  ]),
});
export const OrderPaymentFailed = t.type({
  type: t.literal('OrderPaymentFailed'),
  data: t.type({ ...base, reason: t.string, retryable: t.boolean }),
});
export const OrderProcessed = t.type({ type: t.literal('OrderProcessed'), data: t.type(base) });
export const OrderShipped = t.type({ type: t.literal('OrderShipped'), data: t.type(base) });
export const OrderDelivered = t.type({ type: t.literal('OrderDelivered'), data: t.type(base) });
/**
 * `stockAction`: `release` the reservations (held, or being taken while still pending), or
 * `return` units already committed (a processed order: they go back on hand; if the commit
 * has not happened yet, releasing the open reservation is the same thing).
 */
export const OrderCancelled = t.type({
  type: t.literal('OrderCancelled'),
  data: t.type({
    ...base,
    reason: t.string,
    by: CancelledBy,
    refundDue: t.boolean,
    stockAction: t.union([t.literal('release'), t.literal('return')]),
    stock: t.array(StockLine),
  }),
});
/** The order stopped before payment; `stock` lists what must not stay reserved. */
export const OrderFailed = t.type({
  type: t.literal('OrderFailed'),
  data: t.type({ ...base, reason: t.string, stock: t.array(StockLine) }),
});
export const OrderRefunded = t.type({
  type: t.literal('OrderRefunded'),
  data: t.type({ ...base, refundId: t.string, amount: t.number }),
});

export const OrderEvent = t.union([
  OrderPlaced,
  OrderStockReserved,
  OrderStockReservationFailed,
  OrderPaymentCaptured,
  OrderPaymentFailed,
  OrderProcessed,
  OrderShipped,
  OrderDelivered,
  OrderCancelled,
  OrderFailed,
  OrderRefunded,
]);
export type OrderEvent = t.TypeOf<typeof OrderEvent>;
export type OrderEventType = OrderEvent['type'];

export const orderStream = (orderId: string): string => `order-${orderId}`;
