import { randomUUID } from 'node:crypto';
import { pruneDoneRetries } from '../../src/processes/scheduled-retries';
import { createHarness, type Harness } from './harness';

/**
 * Scheduled work marked done is deleted a day after it was done, so the table does not keep
 * a row per order for ever; pending work stays whatever its age.
 */
let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});

afterAll(async () => {
  await h.close();
});

/** A row due long ago, done `doneHoursAgo` ago (pending when undefined); its order id. */
async function retry(doneHoursAgo: number | undefined): Promise<string> {
  const orderId = randomUUID();
  await h.pool.query(
    `INSERT INTO scheduled_retries (kind, order_id, attempt, due_at, done_at)
     VALUES ('reservation_expiry', $1, 1, now() - interval '30 days',
             CASE WHEN $2::int IS NULL THEN NULL ELSE now() - make_interval(hours => $2::int) END)`,
    [orderId, doneHoursAgo ?? null],
  );
  return orderId;
}

async function kept(orderIds: string[]): Promise<string[]> {
  const { rows } = await h.pool.query<{ order_id: string }>(
    'SELECT order_id FROM scheduled_retries WHERE order_id = ANY($1::uuid[])',
    [orderIds],
  );
  return orderIds.filter((id) => rows.some((r) => r.order_id === id));
}

describe('done scheduled retries pruning', () => {
  it('deletes work done before the retention; keeps recent and pending work', async () => {
    const old = await retry(25);
    const recent = await retry(23);
    const pending = await retry(undefined);
    expect(await pruneDoneRetries(h.pool, 24)).toBeGreaterThanOrEqual(1);
    expect(await kept([old, recent, pending])).toEqual([recent, pending]);
  });

  it('goes on in batches until none is left', async () => {
    const old = [await retry(48), await retry(48), await retry(48)];
    expect(await pruneDoneRetries(h.pool, 24, 1)).toBeGreaterThanOrEqual(3);
    expect(await kept(old)).toEqual([]);
  });

  it('the fulfilment process prunes at start, a day after the work was done', async () => {
    const old = await retry(25);
    const recent = await retry(1);
    h.start();
    // The first pass runs at start; stopping waits for a pass in flight.
    const deadline = Date.now() + 10_000;
    while ((await kept([old])).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await h.stopRunners();
    expect(await kept([old, recent])).toEqual([recent]);
  });
});
