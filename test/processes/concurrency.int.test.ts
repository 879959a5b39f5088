import { TEST_CARDS } from '../../src/payment-gateway';
import {
  createHarness,
  inventory,
  orderState,
  placeOrder,
  receiveStock,
  type Harness,
} from './harness';
import { pollUntil, seeded } from './harness-extra';

// 200 orders placed at once over 3 products of 20 units each: far more asked than there is,
// so most fail on stock, and none may be sold twice.
let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const ORDERS = 200;
const UNITS = 20;

it('never oversells under 200 concurrent orders; stock and ledger agree at rest', async () => {
  h.start({ stockRetryAttempts: 2, stockRetryBaseMs: 20 });
  const products = [
    await receiveStock(h, UNITS),
    await receiveStock(h, UNITS),
    await receiveStock(h, UNITS),
  ];
  const random = seeded(20_240_601);
  const plans = Array.from({ length: ORDERS }, () => {
    // 1 to 3 distinct products, 1 to 3 units each.
    const count = 1 + random(3);
    const start = random(3);
    return Array.from({ length: count }, (_, i) => ({
      productId: products[(start + i) % 3]!,
      quantity: 1 + random(3),
    }));
  });
  expect(plans.filter((p) => p.length > 1).length).toBeGreaterThan(50);

  const orderIds = await Promise.all(
    plans.map((lines) => placeOrder(h, lines, TEST_CARDS.succeeds)),
  );

  // Every order terminal: processed or failed.
  const final = new Map<string, Awaited<ReturnType<typeof orderState>>>();
  await pollUntil(
    async () => {
      const open = orderIds.filter((id) => !final.has(id));
      const states = await Promise.all(open.map((id) => orderState(h, id)));
      for (const s of states) {
        if (s.status === 'processed' || s.status === 'failed') final.set(s.orderId, s);
      }
      return final.size === ORDERS;
    },
    'every order processed or failed',
    50_000,
    200,
  );

  const processed = orderIds.filter((id) => final.get(id)!.status === 'processed');
  const failed = orderIds.filter((id) => final.get(id)!.status === 'failed');
  expect(processed.length + failed.length).toBe(ORDERS);
  expect(processed.length).toBeGreaterThan(0);
  expect(failed.length).toBeGreaterThan(0);
  for (const id of failed) expect(final.get(id)!.failureReason).toMatch(/insufficient stock/);

  // At rest: nothing reserved any more (failed orders released, processed ones committed).
  await pollUntil(
    async () =>
      (await Promise.all(products.map((p) => inventory(h, p)))).every((s) => s.reserved === 0),
    'no stock reserved',
    15_000,
  );

  for (const productId of products) {
    const committed = processed
      .flatMap((id) => plans[orderIds.indexOf(id)]!)
      .filter((l) => l.productId === productId)
      .reduce((sum, l) => sum + l.quantity, 0);
    expect(committed).toBeLessThanOrEqual(UNITS); // never oversold
    const stock = await inventory(h, productId);
    expect({ productId, onHand: stock.onHand, reserved: stock.reserved }).toEqual({
      productId,
      onHand: UNITS - committed,
      reserved: 0,
    });
  }

  // The gateway charged each processed order exactly once, for its total, and no failed one.
  for (const id of processed) {
    const captures = await h.gateway.ledger.capturesFor(id);
    expect(captures).toHaveLength(1);
    expect(captures[0]!.amount).toBe(final.get(id)!.totalPrice);
  }
  const charges = (await h.gateway.ledger.entries()).filter((e) => e.kind === 'charge');
  const failedSet = new Set(failed);
  expect(charges.filter((c) => failedSet.has(c.idempotency_key))).toEqual([]);
  expect(charges).toHaveLength(processed.length);
  expect((await h.gateway.ledger.entries()).filter((e) => e.kind === 'refund')).toEqual([]);
}, 90_000);
