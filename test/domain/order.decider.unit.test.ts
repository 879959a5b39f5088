import * as E from 'fp-ts/Either';
import fc from 'fast-check';
import { fold } from '../../src/domain/decider';
import {
  canMove,
  isTerminal,
  orderDecider,
  orderStatuses,
  type OrderCommand,
  type OrderError,
  type OrderStatus,
} from '../../src/domain/orders/order.decider';
import type { OrderEvent, OrderEventType } from '../../src/domain/orders/order.events';
import { spec } from '../support/decider-spec';

const orderId = 'o-1';
const now = '2026-11-21T10:00:00.000Z';
const later = '2026-11-21T10:05:00.000Z';
const base = { orderId, at: now };
const order = spec(orderDecider);

const shippingAddress = {
  line1: '1 Main St',
  city: 'Springfield',
  state: 'IL',
  postal_code: '62701',
  country: 'US',
};
const payment = { method: 'card' as const, brand: 'visa', last4: '4242' };
const place: OrderCommand = {
  type: 'PlaceOrder',
  orderId,
  userId: 'u-1',
  items: [
    { productId: 'p-1', quantity: 2, unitPrice: 1250 },
    { productId: 'p-2', quantity: 1, unitPrice: 499 },
  ],
  currency: 'USD',
  shippingAddress,
  payment,
  now,
};
const stock = [
  { productId: 'p-1', quantity: 2 },
  { productId: 'p-2', quantity: 1 },
];

const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: {
    ...base,
    userId: 'u-1',
    items: [
      { productId: 'p-1', quantity: 2, unitPrice: 1250, lineTotal: 2500 },
      { productId: 'p-2', quantity: 1, unitPrice: 499, lineTotal: 499 },
    ],
    totalPrice: 2999,
    currency: 'USD',
    shippingAddress,
    payment,
  },
};
const reserved: OrderEvent = { type: 'OrderStockReserved', data: base };
const captured: OrderEvent = {
  type: 'OrderPaymentCaptured',
  data: { ...base, paymentId: 'txn-1', amount: 2999 },
};
const processed: OrderEvent = { type: 'OrderProcessed', data: base };
const shipped: OrderEvent = { type: 'OrderShipped', data: base };
const delivered: OrderEvent = { type: 'OrderDelivered', data: base };
const cancelled = (
  stockAction: 'release' | 'return' = 'release',
  refundDue = false,
): OrderEvent => ({
  type: 'OrderCancelled',
  data: { ...base, reason: 'changed my mind', by: 'customer', refundDue, stockAction, stock },
});
const failed = (reason: string): OrderEvent => ({
  type: 'OrderFailed',
  data: { ...base, reason, stock },
});

const reverseKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(reverseKeys)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .reverse()
            .map(([k, x]) => [k, reverseKeys(x)]),
        )
      : v;

/** A history that leaves the order in each status. */
const historyAt: Record<OrderStatus, readonly OrderEvent[]> = {
  pending: [placed],
  stock_reserved: [placed, reserved],
  paid: [placed, reserved, captured],
  processed: [placed, reserved, captured, processed],
  shipped: [placed, reserved, captured, processed, shipped],
  delivered: [placed, reserved, captured, processed, shipped, delivered],
  cancelled: [placed, cancelled()],
  failed: [placed, failed('reservation expired')],
};

const cmd = { orderId, now };
const commands = {
  MarkStockReserved: { type: 'MarkStockReserved', ...cmd },
  MarkStockReservationFailed: {
    type: 'MarkStockReservationFailed',
    reason: 'insufficient stock for product p-2',
    productId: 'p-2',
    attempt: 1,
    retryAt: later,
    ...cmd,
  },
  MarkPaymentCaptured: { type: 'MarkPaymentCaptured', paymentId: 'txn-1', amount: 2999, ...cmd },
  MarkPaymentFailed: { type: 'MarkPaymentFailed', reason: 'declined', retryable: false, ...cmd },
  MarkProcessed: { type: 'MarkProcessed', ...cmd },
  CancelOrder: { type: 'CancelOrder', reason: 'changed my mind', by: 'customer', ...cmd },
  FailOrder: { type: 'FailOrder', reason: 'reservation expired', ...cmd },
  ShipOrder: { type: 'ShipOrder', ...cmd },
  DeliverOrder: { type: 'DeliverOrder', ...cmd },
  MarkRefunded: { type: 'MarkRefunded', refundId: 'rf-1', amount: 2999, ...cmd },
} satisfies Record<Exclude<OrderCommand['type'], 'PlaceOrder'>, OrderCommand>;

/** Event types decided (`[]`: a no-op), or the error code. */
type Outcome = readonly OrderEventType[] | OrderError['code'];
const NOOP: Outcome = [];
const BAD = 'INVALID_TRANSITION';
const FAIL_STOCK: Outcome = ['OrderStockReservationFailed'];

// Columns: pending, stock_reserved, paid, processed, shipped, delivered, cancelled, failed.
const matrix: Record<keyof typeof commands, readonly Outcome[]> = {
  MarkStockReserved: [['OrderStockReserved'], NOOP, NOOP, NOOP, NOOP, NOOP, BAD, BAD],
  MarkStockReservationFailed: [FAIL_STOCK, BAD, BAD, BAD, BAD, BAD, NOOP, NOOP],
  MarkPaymentCaptured: [
    BAD,
    ['OrderPaymentCaptured'],
    NOOP,
    NOOP,
    NOOP,
    NOOP,
    ['OrderPaymentCaptured'], // late capture on a stopped order: recorded, refund due
    ['OrderPaymentCaptured'],
  ],
  MarkPaymentFailed: [BAD, ['OrderPaymentFailed', 'OrderFailed'], BAD, BAD, BAD, BAD, NOOP, NOOP],
  MarkProcessed: [BAD, BAD, ['OrderProcessed'], NOOP, NOOP, NOOP, BAD, BAD],
  ShipOrder: [BAD, BAD, BAD, ['OrderShipped'], NOOP, NOOP, BAD, BAD],
  DeliverOrder: [BAD, BAD, BAD, BAD, ['OrderDelivered'], NOOP, BAD, BAD],
  CancelOrder: [
    ['OrderCancelled'],
    ['OrderCancelled'],
    ['OrderCancelled'],
    ['OrderCancelled'],
    'ORDER_NOT_CANCELLABLE',
    'ORDER_NOT_CANCELLABLE',
    NOOP,
    'ORDER_NOT_CANCELLABLE',
  ],
  FailOrder: [['OrderFailed'], ['OrderFailed'], BAD, BAD, BAD, BAD, BAD, NOOP],
  // No payment captured before stopping, or not stopped: nothing to refund (see below).
  MarkRefunded: Array<Outcome>(8).fill('REFUND_NOT_DUE'),
};

const cases = Object.entries(matrix).flatMap(([name, outcomes]) =>
  orderStatuses.map((status, i) => ({
    name,
    status,
    command: commands[name as keyof typeof commands],
    outcome: outcomes[i] as Outcome,
  })),
);

describe('order decider: every command in every status', () => {
  it.each(cases)('$name in $status → $outcome', ({ status, command, outcome }) => {
    const history = historyAt[status];
    const decision = orderDecider.decide(command, fold(orderDecider, history));
    if (typeof outcome === 'string') {
      expect(E.isLeft(decision) && decision.left).toMatchObject({ code: outcome });
      if (outcome === 'INVALID_TRANSITION')
        expect(E.isLeft(decision) && decision.left).toMatchObject({ from: status });
      if (outcome === 'ORDER_NOT_CANCELLABLE')
        expect(E.isLeft(decision) && decision.left).toMatchObject({ status });
      return;
    }
    if (E.isLeft(decision)) throw new Error(`unexpected ${JSON.stringify(decision.left)}`);
    expect(decision.right.map((e) => e.type)).toEqual(outcome);
    // Whatever was decided moves only along the lifecycle graph.
    const after = fold(orderDecider, [...history, ...decision.right]).status;
    expect(after === status || canMove(status, after)).toBe(true);
  });
});

describe('order decider', () => {
  it('places an order, computing line totals and the total', () => {
    order.when(place).then([placed]);
  });

  it('treats placing again with the same content as a no-op, whatever the key order', () => {
    order
      .given([placed])
      .when({ ...place, now: later })
      .then([]);
    // As read back from a JSONB column: same values, keys in another order.
    const reordered = reverseKeys(placed.data) as typeof placed.data;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(placed.data));
    order
      .given([{ type: 'OrderPlaced', data: reordered }])
      .when(place)
      .then([]);
  });

  it('refuses a different order under an existing id', () => {
    order
      .given([placed])
      .when({ ...place, currency: 'EUR' })
      .thenFails('ORDER_ALREADY_EXISTS', { orderId });
  });

  it('never puts anything but brand and last four digits of a card in the event', () => {
    const withCard = {
      ...place,
      payment: { ...payment, card_number: '4242424242424242', cvc: '123' },
    } as OrderCommand;
    order.when(withCard).then([placed]);
  });

  it.each([
    [{ items: [] }, 'items'],
    [
      {
        items: [
          { productId: 'p-1', quantity: 1, unitPrice: 10 },
          { productId: 'p-1', quantity: 2, unitPrice: 10 },
        ],
      },
      'items[1].product_id',
    ],
    [{ items: [{ productId: 'p-1', quantity: 0, unitPrice: 10 }] }, 'items[0].quantity'],
    [{ items: [{ productId: 'p-1', quantity: 10_001, unitPrice: 10 }] }, 'items[0].quantity'],
    [{ items: [{ productId: 'p-1', quantity: 1.5, unitPrice: 10 }] }, 'items[0].quantity'],
    [{ items: [{ productId: 'p-1', quantity: 1, unitPrice: 12.5 }] }, 'items[0].price'],
    [{ currency: 'usd' }, 'currency'],
    [{ payment: { method: 'card' as const, last4: '42424242' } }, 'payment.last4'],
  ])('refuses an order that breaks an invariant (%j)', (change, field) => {
    order.when({ ...place, ...change }).thenFails('INVALID_ORDER', { field });
  });

  it('refuses any other command for an order that does not exist', () => {
    order.when(commands.CancelOrder).thenFails('ORDER_NOT_FOUND', { orderId });
  });

  it('records a failed reservation attempt with its retry, once per attempt', () => {
    const attempt1: OrderEvent = {
      type: 'OrderStockReservationFailed',
      data: {
        ...base,
        reason: 'insufficient stock for product p-2',
        attempt: 1,
        productId: 'p-2',
        retryAt: later,
      },
    };
    order.given([placed]).when(commands.MarkStockReservationFailed).then([attempt1]);
    order.given([placed, attempt1]).when(commands.MarkStockReservationFailed).then([]);
    order
      .given([placed, attempt1])
      .when({ ...commands.MarkStockReservationFailed, attempt: 3 })
      .thenFails('ATTEMPT_OUT_OF_ORDER', { expected: 2, actual: 3 });
    // A restock before the next attempt lets it succeed.
    order.given([placed, attempt1]).when(commands.MarkStockReserved).then([reserved]);
  });

  it('fails the order with the product named when the last attempt fails', () => {
    const { retryAt: _none, ...last } = { ...commands.MarkStockReservationFailed, attempt: 2 };
    const attempt1: OrderEvent = {
      type: 'OrderStockReservationFailed',
      data: { ...base, reason: 'insufficient stock for product p-2', attempt: 1, retryAt: later },
    };
    order
      .given([placed, attempt1])
      .when(last)
      .then([
        {
          type: 'OrderStockReservationFailed',
          data: {
            ...base,
            reason: 'insufficient stock for product p-2',
            attempt: 2,
            productId: 'p-2',
          },
        },
        failed('insufficient stock for product p-2'),
      ]);
  });

  it('records the capture, then refuses another transaction or a wrong amount', () => {
    order.given(historyAt.stock_reserved).when(commands.MarkPaymentCaptured).then([captured]);
    order
      .given(historyAt.paid)
      .when({ ...commands.MarkPaymentCaptured, paymentId: 'txn-2' })
      .thenFails('PAYMENT_ALREADY_CAPTURED', { paymentId: 'txn-1' });
    order
      .given(historyAt.stock_reserved)
      .when({ ...commands.MarkPaymentCaptured, amount: 2998 })
      .thenFails('PAYMENT_AMOUNT_MISMATCH', { expected: 2999, actual: 2998 });
  });

  it('keeps the order waiting on a retryable payment failure, fails it on a final one', () => {
    const paymentFailed = (retryable: boolean): OrderEvent => ({
      type: 'OrderPaymentFailed',
      data: { ...base, reason: 'declined', retryable },
    });
    order
      .given(historyAt.stock_reserved)
      .when({ ...commands.MarkPaymentFailed, retryable: true })
      .then([paymentFailed(true)]);
    order
      .given(historyAt.stock_reserved)
      .when(commands.MarkPaymentFailed)
      .then([paymentFailed(false), failed('payment failed: declined')]);
  });

  it.each([
    ['pending', 'release', false],
    ['stock_reserved', 'release', false],
    ['paid', 'release', true],
    ['processed', 'return', true],
  ] as const)('cancels from %s: stock to %s, refund due %s', (status, action, refundDue) => {
    order
      .given(historyAt[status])
      .when(commands.CancelOrder)
      .then([cancelled(action, refundDue)]);
  });

  it('fails a held order (reservation expired) with what must be released', () => {
    order
      .given(historyAt.stock_reserved)
      .when(commands.FailOrder)
      .then([failed('reservation expired')]);
  });

  it('refunds a cancelled paid order once, for the captured amount', () => {
    const paidCancelled = [...historyAt.paid, cancelled('release', true)];
    const refunded: OrderEvent = {
      type: 'OrderRefunded',
      data: { ...base, refundId: 'rf-1', amount: 2999 },
    };
    order.given(paidCancelled).when(commands.MarkRefunded).then([refunded]);
    order
      .given([...paidCancelled, refunded])
      .when(commands.MarkRefunded)
      .then([]);
    order
      .given([...paidCancelled, refunded])
      .when({ ...commands.MarkRefunded, refundId: 'rf-2' })
      .thenFails('ORDER_ALREADY_REFUNDED', { refundId: 'rf-1' });
    order
      .given(paidCancelled)
      .when({ ...commands.MarkRefunded, amount: 1 })
      .thenFails('PAYMENT_AMOUNT_MISMATCH');
    order
      .given(historyAt.processed)
      .when(commands.MarkRefunded)
      .thenFails('REFUND_NOT_DUE', { status: 'processed', paymentCaptured: true });
  });

  it('records a capture that lands after cancellation, status unchanged, refund due', () => {
    const cancelledHeld = [...historyAt.stock_reserved, cancelled()];
    const late: OrderEvent = {
      type: 'OrderPaymentCaptured',
      data: { ...base, paymentId: 'txn-1', amount: 2999, closedAs: 'cancelled' },
    };
    order.given(cancelledHeld).when(commands.MarkPaymentCaptured).then([late]);
    expect(fold(orderDecider, [...cancelledHeld, late])).toMatchObject({
      status: 'cancelled',
      capture: { paymentId: 'txn-1', amount: 2999 },
    });
    order
      .given([...cancelledHeld, late])
      .when(commands.MarkRefunded)
      .then([{ type: 'OrderRefunded', data: { ...base, refundId: 'rf-1', amount: 2999 } }]);
  });

  it('keeps what later decisions and the read model need in the state', () => {
    expect(fold(orderDecider, [placed, failed('payment failed: declined')])).toMatchObject({
      exists: true,
      status: 'failed',
      totalPrice: 2999,
      items: placed.data.items,
      capture: null,
      failureReason: 'payment failed: declined',
    });
  });
});

describe('order decider properties', () => {
  const command: fc.Arbitrary<OrderCommand> = fc.oneof(
    fc.constantFrom<OrderCommand>(
      place,
      { ...place, currency: 'EUR' },
      ...Object.values(commands),
      { ...commands.MarkStockReservationFailed, retryAt: undefined },
      { ...commands.MarkPaymentFailed, retryable: true },
      { ...commands.MarkPaymentCaptured, paymentId: 'txn-2' },
      { ...commands.MarkRefunded, refundId: 'rf-2' },
      { ...commands.CancelOrder, by: 'system' },
    ),
    fc
      .integer({ min: 0, max: 5 })
      .map((attempt): OrderCommand => ({ ...commands.MarkStockReservationFailed, attempt })),
  );

  it('moves only along the lifecycle graph and never leaves a terminal status', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (cmds) => {
        const history: OrderEvent[] = [];
        for (const c of cmds) {
          const decision = orderDecider.decide(c, fold(orderDecider, history));
          if (E.isRight(decision)) history.push(...decision.right);
        }
        let state = orderDecider.initialState;
        let captures = 0;
        let refunds = 0;
        for (const [i, e] of history.entries()) {
          const before = state;
          state = orderDecider.evolve(state, e);
          if (i === 0) {
            expect(e.type).toBe('OrderPlaced');
            continue;
          }
          expect(e.type).not.toBe('OrderPlaced');
          if (isTerminal(before.status)) expect(state.status).toBe(before.status);
          else
            expect(state.status === before.status || canMove(before.status, state.status)).toBe(
              true,
            );
          if (e.type === 'OrderPaymentCaptured') captures += 1;
          if (e.type === 'OrderRefunded') {
            expect(captures).toBe(1);
            refunds += 1;
          }
        }
        expect(captures).toBeLessThanOrEqual(1);
        expect(refunds).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });
});
