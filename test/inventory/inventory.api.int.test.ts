import {
  countEvents,
  createCatalogHarness,
  newId,
  newProduct,
  type CatalogHarness,
} from '../projections/harness';

let h: CatalogHarness;
const admin = { 'x-test-role': 'admin' };
const customer = { 'x-test-role': 'customer' };

interface Stock {
  product_id: string;
  sku: string;
  on_hand: number;
  available_quantity: number;
  reserved_quantity: number;
  reorder_threshold: number;
  low_stock: boolean;
  updated_at: string;
}

beforeAll(async () => {
  h = await createCatalogHarness();
});
afterAll(async () => {
  await h.close();
});

async function product(body: Record<string, unknown> = {}): Promise<{ id: string; sku: string }> {
  const res = await h.http().post('/api/v1/products').set(admin).send(newProduct(body));
  expect(res.status).toBe(201);
  return res.body as { id: string; sku: string };
}

const stock = async (id: string) => (await h.http().get(`/api/v1/inventory/${id}`)).body as Stock;

async function alerts(productId: string): Promise<number> {
  const { rows } = await h.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM low_stock_alerts WHERE product_id = $1',
    [productId],
  );
  return rows[0]?.n ?? 0;
}

describe('GET /inventory/{product_id}', () => {
  it('shows the stock to anyone, and 404 for an unknown or malformed id', async () => {
    const p = await product({ quantity: 12 });
    const res = await h.http().get(`/api/v1/inventory/${p.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ product_id: p.id, sku: p.sku, on_hand: 12, low_stock: false });
    expect((await h.http().get(`/api/v1/inventory/${newId()}`)).status).toBe(404);
    expect((await h.http().get('/api/v1/inventory/xyz')).status).toBe(404);
  });
});

describe('POST /inventory/{product_id}/restock', () => {
  it('adds stock, visible at once, and re-arms LowStock', async () => {
    const p = await product({ quantity: 2, reorder_threshold: 5 });
    expect(await stock(p.id)).toMatchObject({ on_hand: 2, low_stock: true });
    expect(await alerts(p.id)).toBe(1); // created below the threshold

    const res = await h
      .http()
      .post(`/api/v1/inventory/${p.id}/restock`)
      .set(admin)
      .send({ quantity: 10 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ on_hand: 12, available_quantity: 12, low_stock: false });
    expect(await stock(p.id)).toEqual(res.body);

    // Down below the threshold again: a second alert, exactly one.
    const down = await h
      .http()
      .put(`/api/v1/inventory/${p.id}`)
      .set(admin)
      .send({ adjustment: -8, reason: 'damaged in transit' });
    expect(down.body).toMatchObject({ on_hand: 4, low_stock: true });
    expect(await alerts(p.id)).toBe(2);
    await h
      .http()
      .put(`/api/v1/inventory/${p.id}`)
      .set(admin)
      .send({ adjustment: -1, reason: 'counted' });
    expect(await alerts(p.id)).toBe(2);
  });

  it('refuses bad quantities, unknown products and non-admins, writing nothing', async () => {
    const p = await product({ quantity: 1 });
    const before = await countEvents(h.pool);
    for (const body of [
      {},
      { quantity: 0 },
      { quantity: -3 },
      { quantity: 1.5 },
      { quantity: '4' },
    ]) {
      const res = await h.http().post(`/api/v1/inventory/${p.id}/restock`).set(admin).send(body);
      expect(res.status).toBe(400);
      expect(res.type).toBe('application/problem+json');
      expect((res.body as { errors: Array<{ field: string }> }).errors).toEqual([
        expect.objectContaining({ field: 'body.quantity' }),
      ]);
    }
    const unknown = await h
      .http()
      .post(`/api/v1/inventory/${newId()}/restock`)
      .set(admin)
      .send({ quantity: 1 });
    expect(unknown.status).toBe(404);
    const asCustomer = await h
      .http()
      .post(`/api/v1/inventory/${p.id}/restock`)
      .set(customer)
      .send({ quantity: 1 });
    expect(asCustomer.status).toBe(403);
    expect(
      (await h.http().post(`/api/v1/inventory/${p.id}/restock`).send({ quantity: 1 })).status,
    ).toBe(401);
    expect(await countEvents(h.pool)).toBe(before);
    expect(await stock(p.id)).toMatchObject({ on_hand: 1 });
  });
});

describe('PUT /inventory/{product_id}', () => {
  it('changes the threshold, adjusts with a reason, or both at once', async () => {
    const p = await product({ quantity: 20 });
    const threshold = await h
      .http()
      .put(`/api/v1/inventory/${p.id}`)
      .set(admin)
      .send({ reorder_threshold: 25 });
    expect(threshold.status).toBe(200);
    expect(threshold.body).toMatchObject({ reorder_threshold: 25, on_hand: 20, low_stock: true });
    const both = await h
      .http()
      .put(`/api/v1/inventory/${p.id}`)
      .set(admin)
      .send({ reorder_threshold: 3, adjustment: 5, reason: 'found a box' });
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({ reorder_threshold: 3, on_hand: 25, low_stock: false });
    expect(await stock(p.id)).toEqual(both.body);
    const { rows } = await h.pool.query(
      `SELECT data->>'reason' AS reason FROM es_events
        WHERE event_type = 'StockAdjusted' AND data->>'productId' = $1`,
      [p.id],
    );
    expect(rows).toEqual([{ reason: 'found a box' }]);
  });

  it('refuses to take more than is available (409), leaving the threshold as it was', async () => {
    const p = await product({ quantity: 4, reorder_threshold: 2 });
    const before = await countEvents(h.pool);
    const res = await h
      .http()
      .put(`/api/v1/inventory/${p.id}`)
      .set(admin)
      .send({ reorder_threshold: 50, adjustment: -5, reason: 'theft' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'insufficient_stock', available: 4, requested: 5 });
    expect(await countEvents(h.pool)).toBe(before);
    expect(await stock(p.id)).toMatchObject({ reorder_threshold: 2, on_hand: 4 });
  });

  it.each([
    ['an empty body', {}, ['body.reorder_threshold']],
    ['an adjustment without a reason', { adjustment: 2 }, ['body.reason']],
    ['a reason without an adjustment', { reorder_threshold: 1, reason: 'x' }, ['body.adjustment']],
    ['a zero adjustment', { adjustment: 0, reason: 'x' }, ['body.adjustment']],
    ['a fractional adjustment', { adjustment: 0.5, reason: 'x' }, ['body.adjustment']],
    ['a negative threshold', { reorder_threshold: -1 }, ['body.reorder_threshold']],
    ['a blank reason', { adjustment: 1, reason: ' ' }, ['body.reason']],
    ['a body that is a list', [1], ['body']],
  ])('answers 400 for %s, writing nothing', async (_, body, fields) => {
    const p = await product({ quantity: 5 });
    const before = await countEvents(h.pool);
    const res = await h.http().put(`/api/v1/inventory/${p.id}`).set(admin).send(body);
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    const errors = (res.body as { errors: Array<{ field: string }> }).errors;
    expect(errors.map((e) => e.field).sort()).toEqual(fields);
    expect(await countEvents(h.pool)).toBe(before);
  });

  it('answers 404 for an unknown or deleted product', async () => {
    const body = { reorder_threshold: 1 };
    expect((await h.http().put(`/api/v1/inventory/${newId()}`).set(admin).send(body)).status).toBe(
      404,
    );
    const p = await product();
    await h.http().delete(`/api/v1/products/${p.id}`).set(admin);
    expect((await h.http().put(`/api/v1/inventory/${p.id}`).set(admin).send(body)).status).toBe(
      404,
    );
  });
});

describe('GET /inventory (admin)', () => {
  it('lists stock by page, and only what is low with low_stock=true', async () => {
    const low = await product({ quantity: 1, reorder_threshold: 5 });
    const fine = await product({ quantity: 50, reorder_threshold: 5 });

    const all: Stock[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await h
        .http()
        .get('/api/v1/inventory')
        .set(admin)
        .query({ limit: 3, ...(cursor !== null && { cursor }) });
      expect(res.status).toBe(200);
      const page = res.body as { items: Stock[]; next_cursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(3);
      all.push(...page.items);
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 50);
    const { rows } = await h.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM inventory WHERE NOT discontinued',
    );
    expect(all).toHaveLength(rows[0]?.n ?? -1);
    expect(new Set(all.map((s) => s.product_id)).size).toBe(all.length);
    expect(all.map((s) => s.product_id)).toEqual(expect.arrayContaining([low.id, fine.id]));

    const lowOnly = await h
      .http()
      .get('/api/v1/inventory')
      .set(admin)
      .query({ low_stock: 'true', limit: 100 });
    const lowItems = (lowOnly.body as { items: Stock[] }).items;
    expect(lowItems.every((s) => s.low_stock)).toBe(true);
    expect(lowItems.map((s) => s.product_id)).toContain(low.id);
    expect(lowItems.map((s) => s.product_id)).not.toContain(fine.id);
    const notLow = await h
      .http()
      .get('/api/v1/inventory')
      .set(admin)
      .query({ low_stock: 'false', limit: 100 });
    expect((notLow.body as { items: Stock[] }).items.map((s) => s.product_id)).toContain(fine.id);
  });

  it('is for admins only, and refuses bad queries', async () => {
    expect((await h.http().get('/api/v1/inventory')).status).toBe(401);
    expect((await h.http().get('/api/v1/inventory').set(customer)).status).toBe(403);
    for (const query of [{ low_stock: 'yes' }, { limit: '0' }, { cursor: 'e30' }]) {
      const res = await h.http().get('/api/v1/inventory').set(admin).query(query);
      expect(res.status).toBe(400);
    }
  });
});
