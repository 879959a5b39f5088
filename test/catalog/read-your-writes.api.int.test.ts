import { createCatalogHarness, newProduct, type CatalogHarness } from '../projections/harness';

/** No projector running: writes wait (briefly here), then answer from the streams. */
let h: CatalogHarness;
const admin = { 'x-test-role': 'admin' };

beforeAll(async () => {
  h = await createCatalogHarness({ runProjections: false, readYourWritesTimeoutMs: 300 });
});
afterAll(async () => {
  await h.close();
});

describe('read-your-writes when the read models lag', () => {
  it('still answers the write, from the streams, after the bounded wait and a warning', async () => {
    const started = Date.now();
    const res = await h
      .http()
      .post('/api/v1/products')
      .set(admin)
      .send(newProduct({ price: 5, categories: ['Lagging'], quantity: 2 }));
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const product = res.body as { id: string; sku: string; created_at: string };
    expect(product).toMatchObject({ price: 5, currency: 'USD', categories: ['Lagging'] });
    expect(h.warnings).toHaveLength(1);

    // The read model has not seen it yet: this is what the wait normally hides.
    expect((await h.http().get(`/api/v1/products/${product.id}`)).status).toBe(404);

    const restock = await h
      .http()
      .post(`/api/v1/inventory/${product.id}/restock`)
      .set(admin)
      .send({ quantity: 3 });
    expect(restock.status).toBe(200);
    expect(restock.body).toMatchObject({ on_hand: 5, sku: product.sku, low_stock: true });

    const category = await h
      .http()
      .post('/api/v1/categories')
      .set(admin)
      .send({ name: 'Slow', description: 'Made while the projector was down' });
    expect(category.status).toBe(201);
    expect(category.body).toMatchObject({
      name: 'Slow',
      description: 'Made while the projector was down',
    });

    h.startProjections();
    await h.caughtUp();
    const categories = await h.http().get('/api/v1/categories');
    expect((categories.body as { items: unknown[] }).items).toContainEqual(category.body);
    expect((await h.http().get(`/api/v1/products/${product.id}`)).body).toEqual(product);
    expect((await h.http().get(`/api/v1/inventory/${product.id}`)).body).toEqual(restock.body);
  });
});
