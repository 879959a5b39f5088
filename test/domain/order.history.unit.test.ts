import { orderHistoryEntry } from '../../src/domain/orders/order.decider';
import type { OrderEvent } from '../../src/domain/orders/order.events';

const at = '2026-11-21T10:00:00.000Z';
const base = { orderId: 'o-1', at };
const stock = [{ productId: 'p-1', quantity: 1 }];

describe('order log entries', () => {
  it.each<[OrderEvent, string, string | null]>([
    [
      {
        type: 'OrderPlaced',
        data: {
          ...base,
          userId: 'u-1',
          items: [{ productId: 'p-1', quantity: 1, unitPrice: 100, lineTotal: 100 }],
          totalPrice: 100,
          currency: 'USD',
          shippingAddress: { line1: 'a', city: 'b', state: 'c', postal_code: 'd', country: 'US' },
          payment: { method: 'token' },
        },
      },
      'pending',
      'order placed',
    ],
    [{ type: 'OrderStockReserved', data: base }, 'stock_reserved', null],
    [
      { type: 'OrderPaymentCaptured', data: { ...base, paymentId: 't', amount: 100 } },
      'paid',
      null,
    ],
    [{ type: 'OrderProcessed', data: base }, 'processed', null],
    [{ type: 'OrderShipped', data: base }, 'shipped', null],
    [{ type: 'OrderDelivered', data: base }, 'delivered', null],
    [
      {
        type: 'OrderCancelled',
        data: {
          ...base,
          reason: 'changed my mind',
          by: 'admin',
          refundDue: false,
          stockAction: 'release',
          stock,
        },
      },
      'cancelled',
      'cancelled by admin: changed my mind',
    ],
    [
      {
        type: 'OrderFailed',
        data: { ...base, reason: 'insufficient stock for product p-1', stock },
      },
      'failed',
      'insufficient stock for product p-1',
    ],
  ])('%# %j → %s', (event, status, reason) => {
    expect(orderHistoryEntry(event)).toEqual({ status, reason, at });
  });

  it.each<OrderEvent>([
    {
      type: 'OrderStockReservationFailed',
      data: { ...base, reason: 'insufficient stock', attempt: 1, retryAt: at },
    },
    { type: 'OrderPaymentFailed', data: { ...base, reason: 'timeout', retryable: true } },
    { type: 'OrderRefunded', data: { ...base, refundId: 'r', amount: 100 } },
    {
      type: 'OrderPaymentCaptured',
      data: { ...base, paymentId: 't', amount: 100, closedAs: 'cancelled' },
    },
  ])('adds no line for an event that changes no status: %j', (event) => {
    expect(orderHistoryEntry(event)).toBeUndefined();
  });
});
