import { TEST_CARDS } from '../../src/payment-gateway';
import {
  createHarness,
  inventory,
  placeOrder,
  receiveStock,
  waitFor,
  waitForStatus,
  type Harness,
} from './harness';

// Every idempotency key's first two requests answer 503 before anything is settled.
let h: Harness;

beforeAll(async () => {
  h = await createHarness({ transientFailures: 2 });
});
afterAll(async () => {
  await h.close();
});

it('rides out gateway errors: processed, exactly one charge in the ledger', async () => {
  h.start();
  const a = await receiveStock(h, 10);
  const orderId = await placeOrder(h, [{ productId: a, quantity: 2 }], TEST_CARDS.succeeds);

  await waitForStatus(h, orderId, 'processed');
  await waitFor(async () => (await inventory(h, a)).onHand === 8, 'committed');
  const charges = (await h.gateway.ledger.entries()).filter(
    (e) => e.kind === 'charge' && e.idempotency_key === orderId,
  );
  expect(charges).toHaveLength(1);
  expect(charges[0]).toMatchObject({ status: 'captured' });
});
