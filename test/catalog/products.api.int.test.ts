import {
  anyString,
  countEvents,
  createCatalogHarness,
  matching,
  newId,
  newProduct,
  type CatalogHarness,
} from '../projections/harness';

let h: CatalogHarness;

beforeAll(async () => {
  h = await createCatalogHarness();
});
afterAll(async () => {
  await h.close();
});

const admin = { 'x-test-role': 'admin' };
const customer = { 'x-test-role': 'customer' };

async function create(body: Record<string, unknown>) {
  const res = await h.http().post('/api/v1/products').set(admin).send(body);
  expect(res.status).toBe(201);
  return res.body as Record<string, unknown> & { id: string };
}

describe('POST /products', () => {
  it('creates a product that GET shows as soon as POST returns, in the contract shape', async () => {
    const res = await h
      .http()
      .post('/api/v1/products')
      .set(admin)
      .send({
        name: '  Blue Mug ',
        description: 'Holds tea',
        price: 12.5,
        categories: ['Kitchen', 'kitchen ', 'Gifts'],
      });
    expect(res.status).toBe(201);
    expect(res.type).toBe('application/json');
    const product = res.body as Record<string, unknown>;
    expect(product).toEqual({
      id: matching(/^[0-9a-f-]{36}$/),
      name: 'Blue Mug',
      description: 'Holds tea',
      price: 12.5,
      currency: 'USD',
      sku: matching(/^BLUE-MUG-[0-9A-F]{6}$/),
      categories: ['Kitchen', 'Gifts'],
      created_at: anyString(),
      updated_at: product.created_at,
    });
    expect(res.headers.location).toBe(`/api/v1/products/${String(product.id)}`);

    const got = await h.http().get(`/api/v1/products/${String(product.id)}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(product);
  });

  it('creates the inventory with the opening quantity and threshold, readable at once', async () => {
    const stocked = await create(newProduct({ quantity: 25, reorder_threshold: 5 }));
    const inv = await h.http().get(`/api/v1/inventory/${stocked.id}`);
    expect(inv.status).toBe(200);
    expect(inv.body).toEqual({
      product_id: stocked.id,
      sku: stocked.sku,
      on_hand: 25,
      available_quantity: 25,
      reserved_quantity: 0,
      reorder_threshold: 5,
      low_stock: false,
      updated_at: stocked.created_at,
    });

    // Without a quantity: an inventory at 0, below the default threshold (10).
    const bare = await create(newProduct());
    const empty = await h.http().get(`/api/v1/inventory/${bare.id}`);
    expect(empty.body).toMatchObject({ on_hand: 0, reorder_threshold: 10, low_stock: true });
  });

  it('keeps the client SKU and a given currency; money keeps two places', async () => {
    const p = await create(newProduct({ sku: 'mug-xl.2', price: 0.1, currency: 'EUR' }));
    expect(p).toMatchObject({ sku: 'mug-xl.2', price: 0.1, currency: 'EUR' });
    const { rows } = await h.pool.query(
      'SELECT price_minor::int AS p FROM products WHERE id = $1',
      [p.id],
    );
    expect(rows[0]).toEqual({ p: 10 });
  });

  it('refuses a taken SKU or name (any case) with 409, writing nothing', async () => {
    const first = await create(newProduct({ name: 'Green Lamp', sku: 'LAMP-G' }));
    const before = await countEvents(h.pool);

    const sku = await h
      .http()
      .post('/api/v1/products')
      .set(admin)
      .send(newProduct({ sku: 'lamp-g', categories: ['Brand New Category'] }));
    expect(sku.status).toBe(409);
    expect(sku.type).toBe('application/problem+json');
    expect(sku.body).toMatchObject({ status: 409, code: 'sku_taken', sku: 'lamp-g' });

    const name = await h
      .http()
      .post('/api/v1/products')
      .set(admin)
      .send(newProduct({ name: ' green LAMP', categories: ['Brand New Category'] }));
    expect(name.status).toBe(409);
    expect(name.body).toMatchObject({ code: 'name_taken' });

    expect(await countEvents(h.pool)).toBe(before);
    const categories = await h.http().get('/api/v1/categories');
    const names = (categories.body as { items: Array<{ name: string }> }).items.map((c) => c.name);
    expect(names).not.toContain('Brand New Category');
    expect((await h.http().get(`/api/v1/products/${first.id}`)).body).toEqual(first);
  });

  it('lets exactly one of many concurrent creations with one SKU win', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        h
          .http()
          .post('/api/v1/products')
          .set(admin)
          .send(newProduct({ sku: 'RACE-1' })),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const { rows } = await h.pool.query(
      "SELECT count(*)::int AS n FROM es_events WHERE event_type = 'ProductCreated' AND data->>'sku' = 'RACE-1'",
    );
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('needs an admin', async () => {
    const anonymous = await h.http().post('/api/v1/products').send(newProduct());
    expect(anonymous.status).toBe(401);
    const asCustomer = await h.http().post('/api/v1/products').set(customer).send(newProduct());
    expect(asCustomer.status).toBe(403);
  });

  it.each([
    ['no body at all', undefined, ['body.name', 'body.description', 'body.price']],
    ['a blank name', { name: '  ' }, ['body.name']],
    ['a negative price', { price: -1 }, ['body.price']],
    ['three decimal places', { price: 1.999 }, ['body.price']],
    ['a price as a string', { price: '19.99' }, ['body.price']],
    ['a lower-case currency', { currency: 'usd' }, ['body.currency']],
    ['a SKU with spaces', { sku: 'A B' }, ['body.sku']],
    ['a negative quantity', { quantity: -1 }, ['body.quantity']],
    ['a fractional threshold', { reorder_threshold: 1.5 }, ['body.reorder_threshold']],
    ['a blank category', { categories: ['ok', ' '] }, ['body.categories[1]']],
    ['categories not a list', { categories: 'Books' }, ['body.categories']],
    ['several bad fields', { name: 5, price: null }, ['body.name', 'body.price']],
  ])('answers 400 naming the fields for %s, and writes nothing', async (_, patch, fields) => {
    const before = await countEvents(h.pool);
    const body = patch === undefined ? undefined : { ...newProduct(), ...patch };
    const req = h.http().post('/api/v1/products').set(admin);
    const res = await (body === undefined ? req : req.send(body));
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    const errors = (res.body as { errors: Array<{ field: string }> }).errors;
    expect(errors.map((e) => e.field).sort()).toEqual([...fields].sort());
    expect(await countEvents(h.pool)).toBe(before);
  });

  it('answers malformed JSON with 400 and another content type with 415, writing nothing', async () => {
    const before = await countEvents(h.pool);
    const malformed = await h
      .http()
      .post('/api/v1/products')
      .set(admin)
      .set('Content-Type', 'application/json')
      .send('{"name": ');
    expect(malformed.status).toBe(400);
    const text = await h
      .http()
      .post('/api/v1/products')
      .set(admin)
      .set('Content-Type', 'text/plain')
      .send('name=x');
    expect(text.status).toBe(415);
    expect(await countEvents(h.pool)).toBe(before);
  });
});

describe('GET /products/{id}', () => {
  it('answers 404 for an unknown or malformed id', async () => {
    expect((await h.http().get(`/api/v1/products/${newId()}`)).status).toBe(404);
    const malformed = await h.http().get('/api/v1/products/not-a-uuid');
    expect(malformed.status).toBe(404);
    expect(malformed.type).toBe('application/problem+json');
  });
});

describe('PUT /products/{id}', () => {
  it('changes only the fields given, replaces the categories, and GET sees it at once', async () => {
    const p = await create(newProduct({ categories: ['Garden'] }));
    const res = await h
      .http()
      .put(`/api/v1/products/${p.id}`)
      .set(admin)
      .send({ price: 7, category: 'Outdoor' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...p,
      price: 7,
      categories: ['Outdoor'],
      updated_at: anyString(),
    });
    expect((await h.http().get(`/api/v1/products/${p.id}`)).body).toEqual(res.body);
  });

  it('moves the name and SKU claims: the new ones are checked, the old ones freed', async () => {
    const a = await create(newProduct({ name: 'Alpha', sku: 'ALPHA' }));
    const b = await create(newProduct({ name: 'Beta', sku: 'BETA' }));
    const before = await countEvents(h.pool);
    const clash = await h.http().put(`/api/v1/products/${b.id}`).set(admin).send({ name: 'ALPHA' });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ code: 'name_taken' });
    const skuClash = await h
      .http()
      .put(`/api/v1/products/${b.id}`)
      .set(admin)
      .send({ sku: 'alpha', price: 1 });
    expect(skuClash.status).toBe(409);
    expect(await countEvents(h.pool)).toBe(before);

    const renamed = await h
      .http()
      .put(`/api/v1/products/${a.id}`)
      .set(admin)
      .send({ name: 'Gamma', sku: 'GAMMA' });
    expect(renamed.status).toBe(200);
    // Alpha's old name and SKU are free now; the inventory shows the new SKU.
    await create(newProduct({ name: 'alpha', sku: 'Alpha' }));
    const inv = await h.http().get(`/api/v1/inventory/${a.id}`);
    expect(inv.body).toMatchObject({ sku: 'GAMMA' });
    // Changing a name's case keeps its own claim.
    const recased = await h
      .http()
      .put(`/api/v1/products/${b.id}`)
      .set(admin)
      .send({ name: 'BETA' });
    expect(recased.status).toBe(200);
  });

  it('answers 404 for an unknown, malformed or deleted product, and 400 for bad fields', async () => {
    expect(
      (await h.http().put(`/api/v1/products/${newId()}`).set(admin).send({ price: 1 })).status,
    ).toBe(404);
    expect((await h.http().put('/api/v1/products/123').set(admin).send({ price: 1 })).status).toBe(
      404,
    );
    const p = await create(newProduct());
    const before = await countEvents(h.pool);
    const bad = await h
      .http()
      .put(`/api/v1/products/${p.id}`)
      .set(admin)
      .send({ price: 'free', name: '', categories: [1] });
    expect(bad.status).toBe(400);
    const fields = (bad.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(fields.sort()).toEqual(['body.categories[0]', 'body.name', 'body.price']);
    expect(await countEvents(h.pool)).toBe(before);
    expect((await h.http().put(`/api/v1/products/${p.id}`).set(customer).send({})).status).toBe(
      403,
    );
  });
});

describe('DELETE /products/{id}', () => {
  it('deletes (204), after which GET is 404 and the name and SKU are free', async () => {
    const p = await create(newProduct({ name: 'Doomed', sku: 'DOOMED', quantity: 3 }));
    const del = await h.http().delete(`/api/v1/products/${p.id}`).set(admin);
    expect(del.status).toBe(204);
    expect((await h.http().get(`/api/v1/products/${p.id}`)).status).toBe(404);
    expect((await h.http().get(`/api/v1/inventory/${p.id}`)).status).toBe(404);
    const list = await h.http().get('/api/v1/products').query({ q: 'Doomed' });
    expect(list.body).toEqual({ items: [], next_cursor: null });
    await create(newProduct({ name: 'doomed', sku: 'doomed' }));
    // Deleting again is harmless; an unknown product is 404; a customer may not.
    expect((await h.http().delete(`/api/v1/products/${p.id}`).set(admin)).status).toBe(204);
    expect((await h.http().delete(`/api/v1/products/${newId()}`).set(admin)).status).toBe(404);
    expect((await h.http().delete(`/api/v1/products/${p.id}`).set(customer)).status).toBe(403);
    expect((await h.http().put(`/api/v1/products/${p.id}`).set(admin).send({})).status).toBe(404);
  });
});
