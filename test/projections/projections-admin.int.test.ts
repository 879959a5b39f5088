import request from 'supertest';
import { ORDERS_PROJECTION } from '../../src/projections';
import { apiHarness, type ApiHarness } from '../support/api-harness';
import { waitFor } from '../consumers/fixtures/helpers';

// GET /admin/projections: every read model's projection with its position, lag and state,
// from the database (the projections may run in another process).

let h: ApiHarness;

interface Row {
  name: string;
  state: string;
  position: number;
  head_position: number;
  lag: number;
  parked: number;
  stuck: boolean;
  last_error: string | null;
  rebuild: unknown;
}

const list = async (): Promise<Row[]> => {
  const res = await request(h.app.callback())
    .get('/api/v1/admin/projections')
    .set('Authorization', `Bearer ${h.adminToken}`);
  expect(res.status).toBe(200);
  return (res.body as { items: Row[] }).items;
};

beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => {
  await h.close();
});

describe('GET /admin/projections', () => {
  it('lists the projections, live and caught up with the newest event, and no reactor', async () => {
    const created = await request(h.app.callback())
      .post('/api/v1/products')
      .set('Authorization', `Bearer ${h.adminToken}`)
      .send({ name: 'Admin view', description: 'd', price: 3, quantity: 4 });
    expect(created.status).toBe(201);
    const head = await h.store.headPosition();

    await waitFor(async () => {
      const orders = (await list()).find((p) => p.name === ORDERS_PROJECTION);
      return orders?.state === 'live' && orders.position >= Number(head);
    }, 'the orders projection past the product');
    const rows = await list();
    expect(rows.map((p) => p.name)).toEqual(
      expect.arrayContaining(['inventory', 'low_stock_alerts', 'orders', 'products']),
    );
    for (const p of rows) {
      expect(p).toEqual({
        name: expect.any(String) as string,
        state: 'live',
        position: expect.any(Number) as number,
        head_position: expect.any(Number) as number,
        lag: 0,
        parked: 0,
        stuck: false,
        last_error: null,
        rebuild: null,
      });
      expect(p.head_position).toBeGreaterThanOrEqual(Number(head));
    }
    // A reactor (the saga, say) has a checkpoint too, but is not a projection.
    await h.pool.query(
      "INSERT INTO consumer_checkpoints (name, kind) VALUES ('admin-view-saga', 'reactor')",
    );
    expect((await list()).map((p) => p.name)).not.toContain('admin-view-saga');
  });

  it('shows a projection nobody runs as stopped, with the events it has still to apply', async () => {
    await h.pool.query(
      `INSERT INTO consumer_checkpoints (name, kind, position, filter, state)
       VALUES ('admin-view-idle', 'projection', 0, '{"eventTypes":["ProductCreated"]}', 'live')`,
    );
    const idle = (await list()).find((p) => p.name === 'admin-view-idle');
    expect(idle).toMatchObject({ state: 'stopped', position: 0, stuck: false });
    expect(idle?.lag).toBeGreaterThanOrEqual(1); // the product created above
  });
});
