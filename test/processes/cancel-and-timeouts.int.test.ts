import { reservationOf } from '../../src/domain/inventory/inventory.decider';
import { TEST_CARDS } from '../../src/payment-gateway';
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
import { gatedStore, startRunnersWith } from './harness-extra';

// A card that is not a test card: the gateway applies its rates (timeouts) to it.
const RATED_CARD = '4111111111111111';

const refundsOf = async (h: Harness, orderId: string) => {
  const captures = await h.gateway.ledger.capturesFor(orderId);
  return (await h.gateway.ledger.entries()).filter(
    (e) => e.kind === 'refund' && captures.some((c) => c.id === e.charge_id),
  );
};
const chargesOf = async (h: Harness, orderId: string) =>
  (await h.gateway.ledger.entries()).filter(
    (e) => e.kind === 'charge' && e.idempotency_key === orderId,
  );

/** Cancels again and checks nothing at all was written. */
async function expectSecondCancelIsNoOp(h: Harness, orderId: string) {
  const before = await orderEventTypes(h, orderId);
  await cancelOrder(h, orderId);
  expect(await orderEventTypes(h, orderId)).toEqual(before);
}

describe('cancel at every state before shipping', () => {
  let h: Harness;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
    await h.stopRunners();
  });
  afterAll(async () => {
    await h.close();
  });

  it('pending: cancelled before the saga ran, nothing reserved, nothing charged', async () => {
    const a = await receiveStock(h, 10);
    const orderId = await placeOrder(h, [{ productId: a, quantity: 3 }], TEST_CARDS.succeeds);
    await cancelOrder(h, orderId);
    await expectSecondCancelIsNoOp(h, orderId);

    h.start();
    // Reactors handle events in order: once a later order is processed, the cancelled one's
    // OrderPlaced and OrderCancelled were handled too.
    const b = await receiveStock(h, 10);
    const sentinel = await placeOrder(h, [{ productId: b, quantity: 1 }], TEST_CARDS.succeeds);
    await waitForStatus(h, sentinel, 'processed');

    expect(await orderEventTypes(h, orderId)).toEqual(['OrderPlaced', 'OrderCancelled']);
    const stock = await inventory(h, a);
    expect(stock).toMatchObject({ onHand: 10, reserved: 0 });
    expect(reservationOf(stock, orderId)).toBeUndefined();
    expect(await chargesOf(h, orderId)).toEqual([]);
    expect(await paymentEventTypes(h, orderId)).toEqual([]);
    expect((await orderState(h, orderId)).status).toBe('cancelled');
  });

  it('paid: cancelled between capture and processed, stock released and refunded once', async () => {
    // Hold the saga's OrderProcessed append: the order stays `paid` while we cancel it.
    const { store, gate } = gatedStore(
      h.store,
      (stream, events) =>
        stream.startsWith('order-') && events.some((e) => e.type === 'OrderProcessed'),
    );
    stop = startRunnersWith(h, { store });
    const a = await receiveStock(h, 10);
    const orderId = await placeOrder(h, [{ productId: a, quantity: 3 }], TEST_CARDS.succeeds);
    await gate.held;
    expect((await orderState(h, orderId)).status).toBe('paid');
    expect((await inventory(h, a)).reserved).toBe(3);

    await cancelOrder(h, orderId);
    await expectSecondCancelIsNoOp(h, orderId);
    gate.open();

    await waitFor(async () => (await orderState(h, orderId)).refund !== null, 'refunded');
    expect(await waitForNoReservation(h, a)).toMatchObject({ onHand: 10, reserved: 0 });
    // The held MarkProcessed found the order cancelled and was refused: never processed.
    const b = await receiveStock(h, 10);
    const sentinel = await placeOrder(h, [{ productId: b, quantity: 1 }], TEST_CARDS.succeeds);
    await waitForStatus(h, sentinel, 'processed');
    const types = await orderEventTypes(h, orderId);
    expect(types).not.toContain('OrderProcessed');
    expect(types.filter((t) => t === 'OrderCancelled')).toHaveLength(1);
    expect((await orderState(h, orderId)).status).toBe('cancelled');
    expect(await h.gateway.ledger.capturesFor(orderId)).toHaveLength(1);
    expect(await refundsOf(h, orderId)).toHaveLength(1);
    expect(await paymentEventTypes(h, orderId)).toEqual([
      'PaymentRequested',
      'PaymentCaptured',
      'PaymentRefunded',
    ]);
    expect(await inventory(h, a)).toMatchObject({ onHand: 10, reserved: 0 });
    await expectSecondCancelIsNoOp(h, orderId);
    expect(await refundsOf(h, orderId)).toHaveLength(1);
  });

  it('processed: a second cancel after the refund changes nothing', async () => {
    // The first cancel of a processed order is covered in fulfilment.int.test.ts.
    h.start();
    const a = await receiveStock(h, 10);
    const orderId = await placeOrder(h, [{ productId: a, quantity: 2 }], TEST_CARDS.succeeds);
    await waitForStatus(h, orderId, 'processed');
    await waitFor(async () => (await inventory(h, a)).onHand === 8, 'committed');
    await cancelOrder(h, orderId);
    await waitFor(async () => (await orderState(h, orderId)).refund !== null, 'refunded');
    await waitFor(async () => (await inventory(h, a)).onHand === 10, 'stock returned');

    await expectSecondCancelIsNoOp(h, orderId);
    const b = await receiveStock(h, 10);
    const sentinel = await placeOrder(h, [{ productId: b, quantity: 1 }], TEST_CARDS.succeeds);
    await waitForStatus(h, sentinel, 'processed');
    expect(await inventory(h, a)).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await refundsOf(h, orderId)).toHaveLength(1);
    expect((await orderState(h, orderId)).status).toBe('cancelled');
  });

  it('refuses to cancel a failed order and leaves it failed', async () => {
    h.start({ stockRetryAttempts: 1 });
    const a = await receiveStock(h, 1);
    const orderId = await placeOrder(h, [{ productId: a, quantity: 2 }], TEST_CARDS.succeeds);
    await waitForStatus(h, orderId, 'failed');
    await expect(cancelOrder(h, orderId)).rejects.toThrow(/ORDER_NOT_CANCELLABLE/);
    expect((await orderState(h, orderId)).status).toBe('failed');
  });
});

describe('cancel at stock_reserved (slow gateway)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness({ latencyMs: 800 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('releases the stock, refunds the capture that lands later, a second cancel is a no-op', async () => {
    h.start();
    const a = await receiveStock(h, 10);
    const orderId = await placeOrder(h, [{ productId: a, quantity: 3 }], TEST_CARDS.succeeds);
    await waitForStatus(h, orderId, 'stock_reserved');
    expect((await inventory(h, a)).reserved).toBe(3);
    // The saga records the request before it calls the gateway: the charge is on its way.
    await waitFor(
      async () => (await paymentEventTypes(h, orderId)).includes('PaymentRequested'),
      'payment requested',
    );

    await cancelOrder(h, orderId);
    await expectSecondCancelIsNoOp(h, orderId);
    expect(await waitForNoReservation(h, a)).toMatchObject({ onHand: 10, reserved: 0 });
    await waitFor(async () => (await orderState(h, orderId)).refund !== null, 'refunded');
    expect(await h.gateway.ledger.capturesFor(orderId)).toHaveLength(1);
    expect(await refundsOf(h, orderId)).toHaveLength(1);
    const types = await orderEventTypes(h, orderId);
    expect(types).not.toContain('OrderProcessed');
    expect((await orderState(h, orderId)).status).toBe('cancelled');
    await expectSecondCancelIsNoOp(h, orderId);
    expect(await refundsOf(h, orderId)).toHaveLength(1);
    expect(await inventory(h, a)).toMatchObject({ onHand: 10, reserved: 0 });
  }, 15_000);
});

describe('gateway timeouts', () => {
  describe('charge settled, answer lost (timeoutRate 1)', () => {
    let h: Harness;

    beforeAll(async () => {
      // Every charge on a rated card is settled, then its answer held past the client's 200 ms.
      h = await createHarness({ timeoutRate: 1, timeoutHoldMs: 2_000 }, 200);
    });
    afterAll(async () => {
      await h.close();
    });

    it('retries with the same key: processed, exactly one capture', async () => {
      h.start();
      const a = await receiveStock(h, 10);
      const orderId = await placeOrder(h, [{ productId: a, quantity: 2 }], RATED_CARD);

      const order = await waitForStatus(h, orderId, 'processed');
      await waitFor(async () => (await inventory(h, a)).onHand === 8, 'committed');
      expect((await inventory(h, a)).reserved).toBe(0);
      const charges = await chargesOf(h, orderId);
      expect(charges).toHaveLength(1);
      expect(charges[0]).toMatchObject({ status: 'captured', amount: order.totalPrice });
      expect(order.capture?.paymentId).toBe(charges[0]!.id);
      expect(await refundsOf(h, orderId)).toEqual([]);
      expect(await paymentEventTypes(h, orderId)).toEqual(['PaymentRequested', 'PaymentCaptured']);
    }, 15_000);
  });

  describe('gateway slower than every client attempt (latency > client timeout)', () => {
    let h: Harness;

    beforeAll(async () => {
      // Each attempt gives up after 100 ms; the gateway settles the first one after 1 s.
      h = await createHarness({ latencyMs: 1_000 }, 100);
    });
    afterAll(async () => {
      await h.close();
    });

    it('never charges twice, and a charge that settles after the order failed is refunded', async () => {
      h.start();
      const a = await receiveStock(h, 10);
      const orderId = await placeOrder(h, [{ productId: a, quantity: 2 }], TEST_CARDS.succeeds);

      await waitFor(async () => {
        const s = (await orderState(h, orderId)).status;
        return s === 'processed' || s === 'failed';
      }, 'order terminal');
      const order = await orderState(h, orderId);

      if (order.status === 'processed') {
        expect(await h.gateway.ledger.capturesFor(orderId)).toHaveLength(1);
        expect(await refundsOf(h, orderId)).toEqual([]);
      } else {
        expect(order.failureReason).toMatch(/payment gateway unavailable.*timeout/);
        expect(await waitForNoReservation(h, a)).toMatchObject({ onHand: 10, reserved: 0 });
        // The gateway still settles the charge it was working on: the money was taken.
        await waitFor(
          async () => (await chargesOf(h, orderId)).length > 0,
          'the late charge settled',
        );
        // It must be given back, once.
        const evidence = async () =>
          JSON.stringify({
            ledger: (await h.gateway.ledger.entries()).map((e) => [
              e.kind,
              e.idempotency_key,
              e.status,
            ]),
            order: await orderEventTypes(h, orderId),
            payment: await paymentEventTypes(h, orderId),
          });
        await waitFor(
          async () => (await refundsOf(h, orderId)).length === 1,
          'the late capture of a failed order refunded',
          8_000,
        ).catch(async (error: Error) => {
          throw new Error(`${error.message}; ${await evidence()}`);
        });
        expect((await orderState(h, orderId)).status).toBe('failed');
        // Every attempt the client sent was answered by now: still one capture, never two.
        expect(await h.gateway.ledger.capturesFor(orderId)).toHaveLength(1);
      }
    }, 20_000);
  });
});
