import { TEST_CARDS } from '../../src/payment-gateway';
import {
  expectRight,
  inventoryCommand,
  orderCommand,
  paymentCommand,
} from '../../src/processes/fulfilment.commands';
import {
  cancelOrder,
  createHarness,
  inventory,
  orderEventTypes,
  orderState,
  paymentEventTypes,
  placeOrder,
  receiveStock,
  waitFor,
  waitForNoReservation,
  waitForStatus,
  type Harness,
} from './harness';

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.stopRunners();
});
afterAll(async () => {
  await h.close();
});

/** An order's stream once the saga has processed it. */
const PROCESSED_ORDER_EVENTS = [
  'OrderPlaced',
  'OrderStockReserved',
  'OrderPaymentCaptured',
  'OrderProcessed',
];

const paymentTokens = async (orderId: string) =>
  (
    await h.pool.query<{ token: string }>(
      'SELECT token FROM order_payment_tokens WHERE order_id = $1',
      [orderId],
    )
  ).rows;

const charges = async (orderId: string) =>
  (await h.gateway.ledger.entries()).filter(
    (e) => e.kind === 'charge' && e.idempotency_key === orderId,
  );

describe('fulfilment: payment', () => {
  it('reserves, charges once, processes and commits the stock', async () => {
    h.start();
    const a = await receiveStock(h, 10);
    const b = await receiveStock(h, 5);
    const orderId = await placeOrder(
      h,
      [
        { productId: a, quantity: 3, unitPrice: 1_250 },
        { productId: b, quantity: 1, unitPrice: 500 },
      ],
      TEST_CARDS.succeeds,
    );
    expect(await paymentTokens(orderId)).toHaveLength(1);

    const order = await waitForStatus(h, orderId, 'processed');
    expect(order.capture?.amount).toBe(4_250);
    await waitFor(async () => (await inventory(h, a)).onHand === 7, 'stock of a committed');
    await waitFor(async () => (await inventory(h, b)).onHand === 4, 'stock of b committed');
    expect((await inventory(h, a)).reserved).toBe(0);
    expect((await inventory(h, b)).reserved).toBe(0);
    expect(await h.gateway.ledger.capturesFor(orderId)).toHaveLength(1);
    expect(await paymentEventTypes(h, orderId)).toEqual(['PaymentRequested', 'PaymentCaptured']);
    expect(await orderEventTypes(h, orderId)).toEqual(PROCESSED_ORDER_EVENTS);
    // The gateway token goes once the capture is recorded and the order processed.
    await waitFor(async () => (await paymentTokens(orderId)).length === 0, 'token deleted');
  });

  it('fails a declined card, naming the payment, and releases the stock', async () => {
    h.start();
    const a = await receiveStock(h, 10);
    const orderId = await placeOrder(h, [{ productId: a, quantity: 4 }], TEST_CARDS.declined);

    const order = await waitForStatus(h, orderId, 'failed');
    expect(order.failureReason).toMatch(/payment.*declined/);
    const stock = await waitForNoReservation(h, a);
    expect(stock.onHand).toBe(10);
    expect(await paymentEventTypes(h, orderId)).toEqual(['PaymentRequested', 'PaymentFailed']);
    expect(await h.gateway.ledger.capturesFor(orderId)).toHaveLength(0);
  });

  it('fails an order whose gateway keeps erroring, naming the gateway', async () => {
    h.start();
    const a = await receiveStock(h, 10);
    const orderId = await placeOrder(h, [{ productId: a, quantity: 2 }], TEST_CARDS.gatewayError);

    const order = await waitForStatus(h, orderId, 'failed');
    expect(order.failureReason).toMatch(/payment gateway unavailable/);
    expect((await waitForNoReservation(h, a)).onHand).toBe(10);
  });
});

describe('fulfilment: stock', () => {
  it('retries an insufficient reservation and succeeds after a restock', async () => {
    h.start({ stockRetryAttempts: 5, stockRetryBaseMs: 300 });
    const plenty = await receiveStock(h, 50);
    const short = await receiveStock(h, 2);
    const orderId = await placeOrder(
      h,
      [
        { productId: plenty, quantity: 5 },
        { productId: short, quantity: 5 },
      ],
      TEST_CARDS.succeeds,
    );
    await waitFor(
      async () => (await orderState(h, orderId)).stockAttempts >= 1,
      'first attempt failed',
    );
    // The lines of the failed attempt were released before the failure was recorded.
    expect((await inventory(h, plenty)).reserved).toBe(0);
    await receiveStock(h, 10, short);

    await waitForStatus(h, orderId, 'processed');
    await waitFor(async () => (await inventory(h, short)).onHand === 7, 'short committed');
    await waitFor(async () => (await inventory(h, plenty)).onHand === 45, 'plenty committed');
    expect((await inventory(h, plenty)).reserved).toBe(0);
    // The saga closes the order's pending work when it handles OrderProcessed, which may come
    // after the stock is committed: wait for it rather than race it.
    const pending = async () =>
      (
        await h.pool.query(
          'SELECT kind FROM scheduled_retries WHERE order_id = $1 AND done_at IS NULL',
          [orderId],
        )
      ).rowCount;
    await waitFor(async () => (await pending()) === 0, 'pending retries closed');
  });

  it('fails the order naming the product after the last attempt, nothing reserved', async () => {
    h.start({ stockRetryAttempts: 3, stockRetryBaseMs: 20 });
    const plenty = await receiveStock(h, 50);
    const short = await receiveStock(h, 1);
    const orderId = await placeOrder(
      h,
      [
        { productId: plenty, quantity: 5 },
        { productId: short, quantity: 2 },
      ],
      TEST_CARDS.succeeds,
    );

    const order = await waitForStatus(h, orderId, 'failed');
    expect(order.failureReason).toContain(short);
    expect(order.failureReason).toMatch(/insufficient stock/);
    const types = await orderEventTypes(h, orderId);
    expect(types.filter((t) => t === 'OrderStockReservationFailed')).toHaveLength(3);
    expect((await waitForNoReservation(h, plenty)).onHand).toBe(50);
    expect((await waitForNoReservation(h, short)).onHand).toBe(1);
    expect(await h.gateway.ledger.capturesFor(orderId)).toHaveLength(0);
  });
});

describe('fulfilment: cancellation and restarts', () => {
  it('returns the stock and refunds a processed order that is cancelled', async () => {
    h.start();
    const a = await receiveStock(h, 10);
    const orderId = await placeOrder(h, [{ productId: a, quantity: 3 }], TEST_CARDS.succeeds);
    await waitForStatus(h, orderId, 'processed');
    await waitFor(async () => (await inventory(h, a)).onHand === 7, 'committed');

    await cancelOrder(h, orderId);
    await waitFor(async () => (await orderState(h, orderId)).refund !== null, 'refunded');
    await waitFor(async () => (await inventory(h, a)).onHand === 10, 'stock returned');
    // Returned once, whatever the two reactors did.
    expect(await inventory(h, a)).toMatchObject({ onHand: 10, reserved: 0 });
    const refunds = (await h.gateway.ledger.entries()).filter((e) => e.kind === 'refund');
    const [capture] = await h.gateway.ledger.capturesFor(orderId);
    expect(refunds.filter((r) => r.kind === 'refund' && r.charge_id === capture?.id)).toHaveLength(
      1,
    );
    expect(await paymentEventTypes(h, orderId)).toEqual([
      'PaymentRequested',
      'PaymentCaptured',
      'PaymentRefunded',
    ]);
    expect((await orderState(h, orderId)).status).toBe('cancelled');
  });

  it('resumes after a restart mid-way: every order processed, none charged twice', async () => {
    // 60 orders, 4 handled at once: the first is processed while many are still waiting.
    const a = await receiveStock(h, 100);
    const orders: string[] = [];
    for (let i = 0; i < 60; i++) {
      orders.push(await placeOrder(h, [{ productId: a, quantity: 1 }], TEST_CARDS.succeeds));
    }
    h.start({ concurrency: 4 });
    await waitFor(
      async () => (await orderState(h, orders[0]!)).status === 'processed',
      'first order processed',
    );
    await h.stopRunners();
    const statuses = await Promise.all(orders.map(async (o) => (await orderState(h, o)).status));
    expect(statuses.filter((s) => s === 'processed').length).toBeLessThan(orders.length);

    h.start();
    for (const orderId of orders) await waitForStatus(h, orderId, 'processed');
    await waitFor(async () => (await inventory(h, a)).onHand === 100 - 60, 'all committed');
    expect((await inventory(h, a)).reserved).toBe(0);
    for (const orderId of orders) expect(await charges(orderId)).toHaveLength(1);
  });

  it('finishes an order that crashed between its capture and the payment stream', async () => {
    // The state a crash leaves when the order recorded the capture and the payment stream
    // did not (the two are written side by side): every step before it done by hand, with
    // the saga's own command ids.
    const a = await receiveStock(h, 10);
    const orderId = await placeOrder(h, [{ productId: a, quantity: 2 }], TEST_CARDS.succeeds);
    const cause = { causationId: 'test' };
    const token = (
      await h.pool.query<{ token: string }>(
        'SELECT token FROM order_payment_tokens WHERE order_id = $1',
        [orderId],
      )
    ).rows[0]!.token;
    const at = new Date().toISOString();
    expectRight(
      'reserve',
      await inventoryCommand(
        h.store,
        { type: 'ReserveStock', productId: a, orderId, quantity: 2, now: at },
        `${orderId}:reserve:1:${a}`,
        cause,
      ),
    );
    expectRight(
      'reserved',
      await orderCommand(
        h.store,
        { type: 'MarkStockReserved', orderId, now: at },
        `${orderId}:stock-reserved`,
        cause,
      ),
    );
    const { totalPrice: amount, currency } = await orderState(h, orderId);
    expectRight(
      'request',
      await paymentCommand(
        h.store,
        { type: 'RequestPayment', orderId, amount, currency, attempt: 1, now: at },
        `${orderId}:payment-request:1`,
        cause,
      ),
    );
    const charged = await h.client.charge({ orderId, amount, currency, token });
    if (charged.kind !== 'captured') throw new Error(`charge: ${JSON.stringify(charged)}`);
    expectRight(
      'paid',
      await orderCommand(
        h.store,
        { type: 'MarkPaymentCaptured', orderId, paymentId: charged.chargeId, amount, now: at },
        `${orderId}:order-paid`,
        cause,
      ),
    );
    expect(await paymentEventTypes(h, orderId)).toEqual(['PaymentRequested']);

    h.start();
    await waitForStatus(h, orderId, 'processed');
    expect(await paymentEventTypes(h, orderId)).toEqual(['PaymentRequested', 'PaymentCaptured']);
    expect(await orderEventTypes(h, orderId)).toEqual(PROCESSED_ORDER_EVENTS);
    expect(await charges(orderId)).toHaveLength(1);
    await waitFor(async () => (await inventory(h, a)).onHand === 8, 'stock committed');
  });
});
