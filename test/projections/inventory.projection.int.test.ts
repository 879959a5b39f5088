import { randomUUID } from 'node:crypto';
import { NOT_ONE_STATEMENT } from '../../src/consumers';
import { productStream } from '../../src/domain/catalog/product.events';
import { inventoryStream } from '../../src/domain/inventory/inventory.events';
import type { NewEvent } from '../../src/eventstore';
import {
  inventoryProjection,
  lowStockAlertsProjection,
  resetProjection,
} from '../../src/projections';
import { createCatalogHarness, newId, snapshot, type CatalogHarness } from './harness';

let h: CatalogHarness;

beforeAll(async () => {
  h = await createCatalogHarness();
});
afterAll(async () => {
  await h.close();
});

const at = (minute: number) => `2026-11-21T11:${String(minute).padStart(2, '0')}:00.000Z`;

async function inventory(productId: string) {
  const { rows } = await h.pool.query(
    `SELECT sku, on_hand::int, reserved::int, available::int, reorder_threshold::int,
            low_stock, discontinued, updated_at FROM inventory WHERE product_id = $1`,
    [productId],
  );
  return rows[0] as Record<string, unknown> | undefined;
}

describe('inventory and low_stock_alerts projections', () => {
  const p = newId();
  const other = newId();
  const lowStockId = randomUUID();

  beforeAll(async () => {
    const e = (type: string, minute: number, data: object): NewEvent => ({
      type,
      data: { productId: p, at: at(minute), ...data },
    });
    await h.store.appendToStream(inventoryStream(p), [
      e('ReorderThresholdChanged', 0, { threshold: 5 }),
      e('StockReceived', 0, { sku: 'MUG-1', quantity: 20 }),
      e('StockReserved', 1, { orderId: 'o-1', quantity: 8 }),
      e('StockReserved', 2, { orderId: 'o-2', quantity: 4 }),
      e('StockReservationRejected', 3, { orderId: 'o-3', requested: 50, available: 8 }),
      e('StockReleased', 4, { orderId: 'o-2', quantity: 4, reason: 'cancelled' }),
      e('StockCommitted', 5, { orderId: 'o-1', quantity: 8 }),
      e('StockAdjusted', 6, { adjustment: -9, reason: 'broken' }),
      { id: lowStockId, ...e('LowStock', 6, { available: 3, threshold: 5 }) },
    ]);
    // The product's SKU changes: the inventory follows it.
    await h.store.appendToStream(productStream(p), [
      { type: 'ProductUpdated', data: { productId: p, at: at(7), changes: { sku: 'MUG-9' } } },
    ]);
    await h.store.appendToStream(inventoryStream(other), [
      { type: 'ReorderThresholdChanged', data: { productId: other, at: at(8), threshold: 10 } },
      { type: 'StockReceived', data: { productId: other, at: at(8), sku: 'GONE', quantity: 3 } },
    ]);
    await h.store.appendToStream(productStream(other), [
      { type: 'ProductDeleted', data: { productId: other, at: at(9) } },
    ]);
    await h.caughtUp();
  });

  it('keeps on_hand, reserved, available, the threshold and low_stock', async () => {
    expect(await inventory(p)).toEqual({
      sku: 'MUG-9',
      on_hand: 3, // 20 received - 8 committed - 9 adjusted
      reserved: 0, // 8 + 4 reserved, 4 released, 8 committed
      available: 3,
      reorder_threshold: 5,
      low_stock: true,
      discontinued: false,
      updated_at: new Date(at(6)), // the rejection and LowStock change no quantity
    });
    expect(await inventory(other)).toMatchObject({ on_hand: 3, discontinued: true });
  });

  it('records one alert per LowStock event', async () => {
    const { rows } = await h.pool.query(
      'SELECT event_id, product_id, available::int, reorder_threshold::int, raised_at FROM low_stock_alerts',
    );
    expect(rows).toEqual([
      {
        event_id: lowStockId,
        product_id: p,
        available: 3,
        reorder_threshold: 5,
        raised_at: new Date(at(6)),
      },
    ]);
  });

  it('rebuilds the same rows when replayed from zero', async () => {
    const before = [
      await snapshot(h.pool, inventoryProjection),
      await snapshot(h.pool, lowStockAlertsProjection),
    ];
    expect(before[0]?.inventory).toHaveLength(2);
    await h.stopProjections();
    await resetProjection(h.pool, inventoryProjection);
    await resetProjection(h.pool, lowStockAlertsProjection);
    expect((await snapshot(h.pool, inventoryProjection)).inventory).toEqual([]);
    h.startProjections();
    await h.caughtUp();
    expect([
      await snapshot(h.pool, inventoryProjection),
      await snapshot(h.pool, lowStockAlertsProjection),
    ]).toEqual(before);
  });

  it('applies nothing twice: a batch handled again changes no row', async () => {
    const before = await snapshot(h.pool, inventoryProjection);
    const events = await h.store.readAll({ filter: inventoryProjection.filter });
    const client = await h.pool.connect();
    try {
      await client.query('BEGIN');
      await inventoryProjection.handle(events, client);
      await lowStockAlertsProjection.handle(
        events.filter((e) => e.type === 'LowStock'),
        client,
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await snapshot(h.pool, inventoryProjection)).toEqual(before);
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM low_stock_alerts');
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('writes a batch of quantity moves as one statement, with the rows handle writes', async () => {
    await h.stopProjections();
    const events = await h.store.readAll({ filter: inventoryProjection.filter });
    const batchStatement = (batch: typeof events) => {
      if (!inventoryProjection.batchStatement) throw new Error('no batchStatement');
      return inventoryProjection.batchStatement(batch);
    };
    // Product p's events: the threshold and the receipt, then moves, a rejection and LowStock.
    const [created, moves] = [events.slice(0, 2), events.slice(2, 9)];
    expect(moves.map((e) => e.type)).toEqual([
      'StockReserved',
      'StockReserved',
      'StockReservationRejected',
      'StockReleased',
      'StockCommitted',
      'StockAdjusted',
      'LowStock',
    ]);
    expect(batchStatement(events)).toBe(NOT_ONE_STATEMENT); // receipts, SKU changes, deletion
    expect(batchStatement(created)).toBe(NOT_ONE_STATEMENT);

    const inTx = async (work: (client: import('pg').PoolClient) => Promise<unknown>) => {
      const client = await h.pool.connect();
      try {
        await client.query('BEGIN');
        await work(client);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    };
    const statement = batchStatement(moves);
    if (statement === NOT_ONE_STATEMENT || statement === undefined) throw new Error('no statement');
    const runStatement = () => h.pool.query(`WITH ${statement.ctes} SELECT 1`, statement.values);

    await resetProjection(h.pool, inventoryProjection);
    await inTx((c) => inventoryProjection.handle([...created, ...moves], c));
    const byHandle = await snapshot(h.pool, inventoryProjection);

    await resetProjection(h.pool, inventoryProjection);
    await inTx((c) => inventoryProjection.handle(created, c));
    await runStatement();
    expect(await snapshot(h.pool, inventoryProjection)).toEqual(byHandle);
    await runStatement(); // again: every row is past the moves already
    expect(await snapshot(h.pool, inventoryProjection)).toEqual(byHandle);
    expect(byHandle.inventory).toEqual([expect.objectContaining({ on_hand: 3, reserved: 0 })]);
  });

  it('gives the same rows for one batch as for one event at a time', async () => {
    await h.stopProjections();
    const events = await h.store.readAll({ filter: inventoryProjection.filter });
    const applyIn = async (batches: (typeof events)[]) => {
      await resetProjection(h.pool, inventoryProjection);
      for (const batch of batches) {
        const client = await h.pool.connect();
        try {
          await client.query('BEGIN');
          await inventoryProjection.handle(batch, client);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      }
      return snapshot(h.pool, inventoryProjection);
    };
    const oneByOne = await applyIn(events.map((e) => [e]));
    expect(await applyIn([events])).toEqual(oneByOne);
    expect(await applyIn([events.slice(0, 5), events.slice(5)])).toEqual(oneByOne);
    expect(oneByOne.inventory).toHaveLength(2);
  });
});
