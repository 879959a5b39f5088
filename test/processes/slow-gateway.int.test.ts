import { TEST_CARDS } from '../../src/payment-gateway';
import {
  cancelOrder,
  createHarness,
  inventory,
  orderState,
  placeOrder,
  receiveStock,
  waitFor,
  waitForNoReservation,
  waitForStatus,
  type Harness,
} from './harness';

// A gateway that takes 1.5 s per charge: orders sit in stock_reserved while it works.
let h: Harness;

beforeAll(async () => {
  h = await createHarness({ latencyMs: 1_500 });
});
afterEach(async () => {
  await h.stopRunners();
});
afterAll(async () => {
  await h.close();
});

const refundsOf = async (orderId: string) => {
  const [capture] = await h.gateway.ledger.capturesFor(orderId);
  return (await h.gateway.ledger.entries()).filter(
    (e) => e.kind === 'refund' && e.charge_id === capture?.id,
  );
};

it('expires a reservation held unpaid: order failed, stock released, late capture refunded', async () => {
  h.start({ reservationTtlMs: 200 });
  const a = await receiveStock(h, 10);
  const orderId = await placeOrder(h, [{ productId: a, quantity: 4 }], TEST_CARDS.succeeds);

  const order = await waitForStatus(h, orderId, 'failed');
  expect(order.failureReason).toBe('reservation expired');
  expect(await waitForNoReservation(h, a)).toMatchObject({ onHand: 10, reserved: 0 });
  // The charge the gateway was still working on lands afterwards and is given back.
  await waitFor(async () => (await orderState(h, orderId)).refund !== null, 'refunded');
  expect(await refundsOf(orderId)).toHaveLength(1);
  expect((await orderState(h, orderId)).status).toBe('failed');
  expect((await inventory(h, a)).onHand).toBe(10);
});

it('releases the stock of an order cancelled at stock_reserved and refunds the late capture', async () => {
  h.start();
  const a = await receiveStock(h, 10);
  const orderId = await placeOrder(h, [{ productId: a, quantity: 3 }], TEST_CARDS.succeeds);
  await waitForStatus(h, orderId, 'stock_reserved');
  expect((await inventory(h, a)).reserved).toBe(3);

  await cancelOrder(h, orderId);
  expect(await waitForNoReservation(h, a)).toMatchObject({ onHand: 10, reserved: 0 });
  await waitFor(async () => (await orderState(h, orderId)).refund !== null, 'refunded');
  expect(await refundsOf(orderId)).toHaveLength(1);
  expect(await h.gateway.ledger.capturesFor(orderId)).toHaveLength(1);
  expect((await orderState(h, orderId)).status).toBe('cancelled');
});
