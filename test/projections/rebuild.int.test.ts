import type { PoolClient } from 'pg';
import request from 'supertest';
import {
  LOW_STOCK_ALERTS_PROJECTION,
  lowStockAlertsProjection,
  ORDERS_PROJECTION,
  ordersProjection,
  projections,
  type ProjectionDefinition,
} from '../../src/projections';
import { startRebuild } from '../../src/projections/rebuild';
import { waitFor } from '../consumers/fixtures/helpers';
import { apiHarness, type ApiHarness } from '../support/api-harness';
import { snapshot } from './harness';

// POST /admin/projections/{name}/rebuild: the read model built again from the events in
// tables of its own, while the live tables serve and the live runner keeps them current,
// then swapped in.

let h: ApiHarness;
let productId: string;

beforeAll(async () => {
  h = await apiHarness();
  const res = await request(h.app.callback())
    .post('/api/v1/products')
    .set('Authorization', `Bearer ${h.adminToken}`)
    .send({ name: 'Rebuilt', description: 'd', price: 2.5, quantity: 1_000 });
  expect(res.status).toBe(201);
  productId = (res.body as { id: string }).id;
}, 60_000);
afterAll(() => h.close());

const asAdmin = (req: request.Test) => req.set('Authorization', `Bearer ${h.adminToken}`);

async function placeOrders(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await request(h.app.callback())
      .post('/api/v1/orders')
      .set('Authorization', `Bearer ${h.customerToken}`)
      .send({
        items: [{ product_id: productId, quantity: 1 + (i % 3) }],
        shipping_address: {
          line1: `${i} Main St`,
          city: 'X',
          state: 'Y',
          postal_code: '1',
          country: 'US',
        },
        payment: { method: 'token', token: 'tok_ok_visa_4242_0123456789abcdef' },
      });
    expect(res.status).toBe(201);
  }
}

interface Listed {
  name: string;
  position: number;
  rebuild: { state: string; replayed: number; error: string | null } | null;
}

async function listed(name: string): Promise<Listed | undefined> {
  const res = await asAdmin(request(h.app.callback()).get('/api/v1/admin/projections'));
  expect(res.status).toBe(200);
  return (res.body as { items: Listed[] }).items.find((p) => p.name === name);
}

async function caughtUp(name: string): Promise<void> {
  const head = Number(await h.store.headPosition());
  await waitFor(async () => ((await listed(name))?.position ?? 0) >= head, `${name} at the head`);
}

/** The projection's rows as one batch of every event from scratch makes them. */
async function fromScratch(projection: ProjectionDefinition): Promise<Record<string, unknown[]>> {
  const client: PoolClient = await h.pool.connect();
  try {
    await client.query('DROP SCHEMA IF EXISTS scratch CASCADE; CREATE SCHEMA scratch');
    await client.query('SET search_path TO scratch, public');
    for (const m of projection.migrations.migrations) await client.query(m.sql);
    await client.query('BEGIN');
    await projection.handle(await h.store.readAll({ filter: projection.filter }), client);
    await client.query('COMMIT');
    const out = await snapshot(client, projection); // the scratch tables, first on the path
    await client.query('DROP SCHEMA scratch CASCADE');
    return out;
  } finally {
    client.release(true);
  }
}

const schemaExists = async (name: string): Promise<boolean> =>
  (await h.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])).rowCount === 1;

describe('rebuilding a projection', () => {
  it('rebuilds the orders read model from the events while orders keep coming, and swaps it in', async () => {
    await placeOrders(12);
    await caughtUp(ORDERS_PROJECTION);
    // Damage the live rows: only a replay of the events puts them right.
    await h.pool.query("UPDATE orders SET status = 'delivered', total_minor = 0");
    await h.pool.query('DELETE FROM order_history');

    const writing = placeOrders(12); // during the rebuild, and past it
    const res = await asAdmin(
      request(h.app.callback()).post(`/api/v1/admin/projections/${ORDERS_PROJECTION}/rebuild`),
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ name: ORDERS_PROJECTION, rebuild: { state: 'running' } });
    await writing;
    await h.rebuilds.idle();
    expect((await listed(ORDERS_PROJECTION))?.rebuild).toMatchObject({
      state: 'done',
      error: null,
    });
    await caughtUp(ORDERS_PROJECTION);

    const rebuilt = await snapshot(h.pool, ordersProjection);
    expect(rebuilt).toEqual(await fromScratch(ordersProjection));
    const statuses = (rebuilt.orders as { status: string }[]).map((o) => o.status);
    expect(statuses).toHaveLength(24);
    expect(statuses).not.toContain('delivered');
    expect(rebuilt.order_history).toHaveLength(24);
    expect(await schemaExists('rebuild_orders')).toBe(false);
  });

  it('rebuilds every read model to the rows a replay from scratch makes', async () => {
    await placeOrders(2);
    const restock = await asAdmin(
      request(h.app.callback()).post(`/api/v1/inventory/${productId}/restock`),
    ).send({ quantity: 5 });
    expect(restock.status).toBeLessThan(300);
    // Below its reorder threshold: a LowStock alert.
    const adjusted = await asAdmin(
      request(h.app.callback()).put(`/api/v1/inventory/${productId}`),
    ).send({ adjustment: -1_000, reason: 'counted' });
    expect(adjusted.status).toBe(200);
    for (const projection of projections()) {
      await caughtUp(projection.name);
      await (
        await startRebuild(h.pool, h.store, projection)
      ).done;
      await caughtUp(projection.name);
      const rows = await snapshot(h.pool, projection);
      expect(Object.values(rows).flat().length).toBeGreaterThan(0);
      expect(rows).toEqual(await fromScratch(projection));
    }
  });

  it('applies, inside the swap, what the live runner applied after the last catch-up', async () => {
    await caughtUp(ORDERS_PROJECTION);
    let placedLate = false;
    const started = await startRebuild(h.pool, h.store, ordersProjection, {
      beforeSwap: async () => {
        if (placedLate) return;
        placedLate = true;
        await placeOrders(3); // read-your-writes: the live runner has applied them
      },
    });
    await started.done;
    await caughtUp(ORDERS_PROJECTION);
    expect(await snapshot(h.pool, ordersProjection)).toEqual(await fromScratch(ordersProjection));
  });

  it('leaves the live tables as they were when stopped, and the next rebuild starts afresh', async () => {
    await placeOrders(3);
    await caughtUp(ORDERS_PROJECTION);
    const before = await snapshot(h.pool, ordersProjection);

    const abort = new AbortController();
    const stopped = await startRebuild(h.pool, h.store, ordersProjection, {
      batchSize: 5,
      signal: abort.signal,
      onProgress: () => abort.abort(), // after the first batch
    });
    await expect(stopped.done).rejects.toThrow();
    expect(await snapshot(h.pool, ordersProjection)).toEqual(before);
    expect(await schemaExists('rebuild_orders')).toBe(true); // as a crash would leave it

    const again = await startRebuild(h.pool, h.store, ordersProjection, { batchSize: 5 });
    const result = await again.done;
    expect(result.replayed).toBeGreaterThan(0);
    expect(await schemaExists('rebuild_orders')).toBe(false);
    await caughtUp(ORDERS_PROJECTION);
    expect(await snapshot(h.pool, ordersProjection)).toEqual(before);
  });

  it('gives the live tables up while they are busy, catches up, and swaps once they are free', async () => {
    const holder = await h.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE low_stock_alerts IN SHARE MODE');
      let catchUps = 0;
      const started = await startRebuild(h.pool, h.store, lowStockAlertsProjection, {
        lockTimeoutMs: 50,
        onProgress: () => (catchUps += 1),
      });
      let settled = false;
      void started.done.finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(settled).toBe(false);
      // Each try that timed out went back to catch up: it did not sit in the lock queue,
      // where the live runner's next write would queue behind it.
      expect(catchUps).toBeGreaterThanOrEqual(3);
      await holder.query('COMMIT');
      expect(typeof (await started.done).position).toBe('bigint');
    } finally {
      holder.release();
    }
  });

  it('shows a rebuild recorded as running as interrupted once no session holds its lock', async () => {
    await h.pool.query(
      `INSERT INTO projection_rebuilds (name, state, replayed, started_at)
       VALUES ($1, 'running', 7, now())
       ON CONFLICT (name) DO UPDATE SET state = 'running', replayed = 7, finished_at = NULL`,
      [LOW_STOCK_ALERTS_PROJECTION],
    );
    const other = await h.pool.connect();
    try {
      await other.query('SELECT pg_advisory_lock(7321, hashtext($1))', [
        LOW_STOCK_ALERTS_PROJECTION,
      ]);
      expect((await listed(LOW_STOCK_ALERTS_PROJECTION))?.rebuild).toMatchObject({
        state: 'running',
        replayed: 7,
      });
    } finally {
      other.release(true); // the session ends, and its lock
    }
    await waitFor(
      async () => (await listed(LOW_STOCK_ALERTS_PROJECTION))?.rebuild?.state === 'interrupted',
      'the rebuild shown as interrupted',
    );
  });

  it('refuses an unknown name (404), a second rebuild (409) and one with parked events (409)', async () => {
    const post = (name: string) =>
      asAdmin(request(h.app.callback()).post(`/api/v1/admin/projections/${name}/rebuild`));

    const unknown = await post('no_such_projection');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);

    // Another process's rebuild holds the lock.
    const other = await h.pool.connect();
    try {
      await other.query('SELECT pg_advisory_lock(7321, hashtext($1))', [
        LOW_STOCK_ALERTS_PROJECTION,
      ]);
      const busy = await post(LOW_STOCK_ALERTS_PROJECTION);
      expect(busy.status).toBe(409);
      expect(busy.body).toMatchObject({ code: 'rebuild_running' });
    } finally {
      await other.query('SELECT pg_advisory_unlock_all()');
      other.release();
    }

    await h.pool.query(
      `INSERT INTO consumer_dead_letters (consumer_name, position, event_id, stream_name,
                                          event_type, error_message, attempts)
       VALUES ($1, 1, gen_random_uuid(), 'inventory-x', 'LowStock', 'poison', 5)`,
      [LOW_STOCK_ALERTS_PROJECTION],
    );
    try {
      const parked = await post(LOW_STOCK_ALERTS_PROJECTION);
      expect(parked.status).toBe(409);
      expect(parked.body).toMatchObject({ code: 'parked_events' });
    } finally {
      await h.pool.query('DELETE FROM consumer_dead_letters WHERE consumer_name = $1', [
        LOW_STOCK_ALERTS_PROJECTION,
      ]);
    }
    // Refused rebuilds release the lock: the next one runs.
    expect((await post(LOW_STOCK_ALERTS_PROJECTION)).status).toBe(202);
    await h.rebuilds.idle();
    expect((await listed(LOW_STOCK_ALERTS_PROJECTION))?.rebuild).toMatchObject({ state: 'done' });
  });
});
