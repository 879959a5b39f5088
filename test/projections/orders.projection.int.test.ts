import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { handleCommand } from '../../src/commands/command-handler';
import { orderDecider, type OrderCommand } from '../../src/domain/orders/order.decider';
import { orderStream } from '../../src/domain/orders/order.events';
import type { RecordedEvent } from '../../src/eventstore';
import { inTransaction } from '../../src/infra/transaction';
import { ordersProjection, resetProjection } from '../../src/projections';
import { createCatalogHarness, snapshot, type CatalogHarness } from './harness';

// The orders projection applies a batch as one set-based statement. Whatever the batch
// boundaries, and however often an event is replayed, the rows must be the same.

let h: CatalogHarness;
let events: RecordedEvent[];
const ids = { processed: randomUUID(), failed: randomUUID(), cancelled: randomUUID() };

const at = (second: number) => `2026-11-21T12:00:${String(second).padStart(2, '0')}.000Z`;

async function run(command: OrderCommand): Promise<void> {
  const result = await handleCommand(h.store, orderDecider, {
    streamName: orderStream(command.orderId),
    command,
  });
  if (E.isLeft(result)) throw new Error(JSON.stringify(result.left));
}

function place(orderId: string, second: number): OrderCommand {
  return {
    type: 'PlaceOrder',
    orderId,
    userId: randomUUID(),
    items: [
      { productId: randomUUID(), quantity: 2, unitPrice: 1250 },
      { productId: randomUUID(), quantity: 1, unitPrice: 499 },
    ],
    currency: 'USD',
    shippingAddress: {
      line1: '1 Main St',
      city: 'Springfield',
      state: 'IL',
      postal_code: '62701',
      country: 'US',
    },
    payment: { method: 'card', brand: 'visa', last4: '4242' },
    now: at(second),
  };
}

async function apply(batches: readonly (readonly RecordedEvent[])[]): Promise<void> {
  for (const batch of batches) {
    await inTransaction(h.pool, (tx) => ordersProjection.handle(batch, tx));
  }
}

beforeAll(async () => {
  h = await createCatalogHarness({ runProjections: false });
  const { processed, failed, cancelled } = ids;
  // Interleaved, as orders arrive in the global log.
  await run(place(processed, 1));
  await run(place(failed, 2));
  await run({ type: 'MarkStockReserved', orderId: processed, now: at(3) });
  await run({
    type: 'MarkStockReservationFailed',
    orderId: failed,
    reason: 'insufficient stock',
    attempt: 1,
    retryAt: at(9),
    now: at(4),
  });
  await run(place(cancelled, 5));
  await run({
    type: 'MarkPaymentCaptured',
    orderId: processed,
    paymentId: 'ch_1',
    amount: 2999,
    now: at(6),
  });
  await run({ type: 'MarkProcessed', orderId: processed, now: at(7) });
  await run({
    type: 'FailOrder',
    orderId: failed,
    reason: 'no stock after 5 attempts',
    now: at(8),
  });
  await run({
    type: 'CancelOrder',
    orderId: cancelled,
    reason: 'changed mind',
    by: 'customer',
    now: at(10),
  });
  const streams = new Set(Object.values(ids).map(orderStream));
  events = (await h.store.readAll()).filter((e) => streams.has(e.streamName));
});
afterAll(async () => {
  await h.close();
});

describe('orders projection', () => {
  it('gives the same rows for one batch, event by event, split batches, and replays', async () => {
    await resetProjection(h.pool, ordersProjection);
    await apply([events]);
    const whole = await snapshot(h.pool, ordersProjection);

    await resetProjection(h.pool, ordersProjection);
    await apply(events.map((e) => [e]));
    expect(await snapshot(h.pool, ordersProjection)).toEqual(whole);

    await resetProjection(h.pool, ordersProjection);
    await apply([events.slice(0, 4), events.slice(4)]);
    expect(await snapshot(h.pool, ordersProjection)).toEqual(whole);

    await apply([events, events.slice(2, 6)]); // replays change nothing
    expect(await snapshot(h.pool, ordersProjection)).toEqual(whole);
  });

  it('leaves each order where its last event put it, with its lines and its log', async () => {
    await resetProjection(h.pool, ordersProjection);
    await apply([events]);
    const { rows } = await h.pool.query<{
      id: string;
      status: string;
      failure_reason: string | null;
      updated_at: Date;
      lines: number;
    }>(
      `SELECT o.id, o.status, o.failure_reason, o.updated_at,
              (SELECT count(*)::int FROM order_items i WHERE i.order_id = o.id) AS lines
         FROM orders o WHERE o.id = ANY($1)`,
      [Object.values(ids)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids.processed)).toMatchObject({
      status: 'processed',
      failure_reason: null,
      lines: 2,
    });
    expect(byId.get(ids.processed)?.updated_at.toISOString()).toBe(at(7));
    expect(byId.get(ids.failed)).toMatchObject({
      status: 'failed',
      failure_reason: 'no stock after 5 attempts',
    });
    expect(byId.get(ids.cancelled)).toMatchObject({ status: 'cancelled', failure_reason: null });
    const log = await h.pool.query<{ status: string }>(
      'SELECT status FROM order_history WHERE order_id = $1 ORDER BY position',
      [ids.processed],
    );
    expect(log.rows.map((r) => r.status)).toEqual([
      'pending',
      'stock_reserved',
      'paid',
      'processed',
    ]);
    const failedLog = await h.pool.query<{ status: string }>(
      'SELECT status FROM order_history WHERE order_id = $1 ORDER BY position',
      [ids.failed],
    );
    // The retried reservation changes no status: no log line.
    expect(failedLog.rows.map((r) => r.status)).toEqual(['pending', 'failed']);
  });
});
