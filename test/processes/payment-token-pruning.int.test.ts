import { randomUUID } from 'node:crypto';
import { prunePaymentTokens } from '../../src/processes/scheduled-retries';
import { createHarness, type Harness } from './harness';

/**
 * Gateway tokens of orders that ended without a capture (failed, cancelled) are deleted a
 * retention after they were stored, unless a payment check still needs them.
 */
let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});

afterAll(async () => {
  await h.close();
});

async function token(ageHours: number): Promise<string> {
  const orderId = randomUUID();
  await h.pool.query(
    `INSERT INTO order_payment_tokens (order_id, token, created_at)
     VALUES ($1, $2, now() - make_interval(hours => $3))`,
    [orderId, `tok_${orderId.slice(0, 8)}`, ageHours],
  );
  return orderId;
}

async function retry(orderId: string, kind: string, done: boolean): Promise<void> {
  await h.pool.query(
    `INSERT INTO scheduled_retries (kind, order_id, attempt, due_at, done_at)
     VALUES ($1, $2, 1, now(), CASE WHEN $3 THEN now() END)`,
    [kind, orderId, done],
  );
}

async function kept(orderIds: string[]): Promise<string[]> {
  const { rows } = await h.pool.query<{ order_id: string }>(
    'SELECT order_id FROM order_payment_tokens WHERE order_id = ANY($1::uuid[])',
    [orderIds],
  );
  return orderIds.filter((id) => rows.some((r) => r.order_id === id));
}

describe('payment token pruning', () => {
  it('deletes old tokens with no pending work; keeps fresh ones and those a check needs', async () => {
    const old = await token(25);
    const oldAllDone = await token(30);
    await retry(oldAllDone, 'reservation_expiry', true);
    await retry(oldAllDone, 'payment_check', true);
    const oldChecking = await token(30);
    await retry(oldChecking, 'payment_check', false);
    const fresh = await token(23);

    expect(await prunePaymentTokens(h.pool, 24)).toBeGreaterThanOrEqual(2);
    expect(await kept([old, oldAllDone, oldChecking, fresh])).toEqual([oldChecking, fresh]);
  });

  it('goes on in batches until none is left', async () => {
    const old = [await token(48), await token(48), await token(48)];
    expect(await prunePaymentTokens(h.pool, 24, 1)).toBeGreaterThanOrEqual(3);
    expect(await kept(old)).toEqual([]);
  });

  it('the fulfilment process prunes at start, with PAYMENT_TOKEN_RETENTION_HOURS', async () => {
    const old = await token(10);
    const fresh = await token(1);
    h.start({ paymentTokenRetentionHours: 5 });
    // The first pass runs at start; stopping waits for a pass in flight.
    const deadline = Date.now() + 10_000;
    while ((await kept([old])).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await h.stopRunners();
    expect(await kept([old, fresh])).toEqual([fresh]);
  });
});
