import {
  anyString,
  countEvents,
  createCatalogHarness,
  matching,
  type CatalogHarness,
} from '../projections/harness';

let h: CatalogHarness;
const admin = { 'x-test-role': 'admin' };

beforeAll(async () => {
  h = await createCatalogHarness();
});
afterAll(async () => {
  await h.close();
});

describe('categories', () => {
  it('creates a category (admin) that GET /categories lists at once', async () => {
    const res = await h
      .http()
      .post('/api/v1/categories')
      .set(admin)
      .send({ name: ' Books ', description: 'Paper' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: matching(/^[0-9a-f-]{36}$/),
      name: 'Books',
      description: 'Paper',
      created_at: anyString(),
    });
    const list = await h.http().get('/api/v1/categories');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [res.body] });
  });

  it('refuses a name taken in any case with 409, writing nothing', async () => {
    const before = await countEvents(h.pool);
    const res = await h.http().post('/api/v1/categories').set(admin).send({ name: 'BOOKS' });
    expect(res.status).toBe(409);
    expect(res.type).toBe('application/problem+json');
    expect(res.body).toMatchObject({ code: 'category_already_exists', name: 'Books' });
    expect(await countEvents(h.pool)).toBe(before);
  });

  it('lets one of concurrent creations of a name win', async () => {
    const results = await Promise.all(
      ['Toys', 'toys', 'TOYS', 'Toys '].map((name) =>
        h.http().post('/api/v1/categories').set(admin).send({ name }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
  });

  it('creates unknown categories named by a product, and joins existing ones', async () => {
    const res = await h
      .http()
      .post('/api/v1/products')
      .set(admin)
      .send({ name: 'Novel', description: '', price: 12, categories: ['books', 'Fiction'] });
    expect(res.status).toBe(201);
    expect((res.body as { categories: string[] }).categories).toEqual(['Books', 'Fiction']);
    const list = await h.http().get('/api/v1/categories');
    const items = (list.body as { items: Array<{ name: string; description: string | null }> })
      .items;
    // Whichever spelling of "Toys" won the race above is the one kept.
    expect(items.map((c) => c.name.toLowerCase())).toEqual(['books', 'fiction', 'toys']);
    expect(items.find((c) => c.name === 'Fiction')?.description).toBeNull();
  });

  it('answers 401, 403 and 400 (naming the field), writing nothing', async () => {
    const before = await countEvents(h.pool);
    expect((await h.http().post('/api/v1/categories').send({ name: 'X' })).status).toBe(401);
    expect(
      (await h.http().post('/api/v1/categories').set('x-test-role', 'customer').send({ name: 'X' }))
        .status,
    ).toBe(403);
    for (const body of [{}, { name: '' }, { name: 42 }, { name: 'x'.repeat(101) }]) {
      const res = await h.http().post('/api/v1/categories').set(admin).send(body);
      expect(res.status).toBe(400);
      expect((res.body as { errors: Array<{ field: string }> }).errors).toEqual([
        expect.objectContaining({ field: 'body.name' }),
      ]);
    }
    const desc = await h
      .http()
      .post('/api/v1/categories')
      .set(admin)
      .send({ name: 'Y', description: 7 });
    expect((desc.body as { errors: Array<{ field: string }> }).errors).toEqual([
      expect.objectContaining({ field: 'body.description' }),
    ]);
    expect(await countEvents(h.pool)).toBe(before);
  });
});
