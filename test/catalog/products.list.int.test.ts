import { createCatalogHarness, type CatalogHarness } from '../projections/harness';

let h: CatalogHarness;
const admin = { 'x-test-role': 'admin' };

interface Product {
  id: string;
  name: string;
  price: number;
  categories: string[];
}
interface Page {
  items: Product[];
  next_cursor: string | null;
}

const seed: Array<{ name: string; description: string; price: number; categories?: string[] }> = [
  { name: 'Oak Table', description: 'Solid wood', price: 250, categories: ['Furniture'] },
  { name: 'Pine Chair', description: 'Light WOOD chair', price: 45.5, categories: ['furniture'] },
  { name: 'Tea Mug', description: 'Ceramic', price: 9.99, categories: ['Kitchen', 'Gifts'] },
  { name: 'Teapot', description: 'Holds a litre', price: 30, categories: ['Kitchen'] },
  { name: 'Gift Card', description: 'Any amount', price: 10 },
  { name: 'Desk Lamp', description: 'LED', price: 30.01, categories: ['Office'] },
  { name: 'Notebook', description: 'Paper, with a wooden cover', price: 4.2 },
];

beforeAll(async () => {
  h = await createCatalogHarness();
  // One by one, so their creation order is the listing's order.
  for (const p of seed) {
    const res = await h
      .http()
      .post('/api/v1/products')
      .set(admin)
      .send({ ...p, sku: p.name.replace(/ /g, '-') });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await h.close();
});

async function list(query: Record<string, string | number>): Promise<Page> {
  const res = await h.http().get('/api/v1/products').query(query);
  expect(res.status).toBe(200);
  return res.body as Page;
}
const names = (page: Page) => page.items.map((p) => p.name);

describe('GET /products', () => {
  it('lists every live product in creation order, 20 to a page by default', async () => {
    const page = await list({});
    expect(names(page)).toEqual(seed.map((p) => p.name));
    expect(page.next_cursor).toBeNull();
  });

  it('filters by category name, case-insensitively, showing the first spelling', async () => {
    const page = await list({ category: 'FURNITURE' });
    expect(names(page)).toEqual(['Oak Table', 'Pine Chair']);
    expect(page.items.map((p) => p.categories)).toEqual([['Furniture'], ['Furniture']]);
    expect(names(await list({ category: 'kitchen' }))).toEqual(['Tea Mug', 'Teapot']);
    expect(names(await list({ category: 'Nothing' }))).toEqual([]);
  });

  it('filters by a price range, both ends included', async () => {
    expect(names(await list({ min_price: '10', max_price: '30' }))).toEqual([
      'Teapot',
      'Gift Card',
    ]);
    expect(names(await list({ min_price: '30.01' }))).toEqual([
      'Oak Table',
      'Pine Chair',
      'Desk Lamp',
    ]);
    expect(names(await list({ max_price: '9.99' }))).toEqual(['Tea Mug', 'Notebook']);
  });

  it('searches name and description case-insensitively, combined with other filters', async () => {
    expect(names(await list({ q: 'wood' }))).toEqual(['Oak Table', 'Pine Chair', 'Notebook']);
    expect(names(await list({ q: 'TEA' }))).toEqual(['Tea Mug', 'Teapot']);
    expect(names(await list({ q: 'wood', category: 'furniture', max_price: '100' }))).toEqual([
      'Pine Chair',
    ]);
    // LIKE wildcards are plain characters here.
    expect(names(await list({ q: '%' }))).toEqual([]);
  });

  it.each([1, 2, 3, 7])('walks every page of %i, each product once', async (limit) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list({ limit, ...(cursor !== null && { cursor }) });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      seen.push(...names(page));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 20);
    expect(seen).toEqual(seed.map((p) => p.name));
    expect(pages).toBe(Math.ceil(seed.length / limit));
  });

  it('pages through a filtered list too', async () => {
    const first = await list({ q: 'wood', limit: 2 });
    expect(names(first)).toEqual(['Oak Table', 'Pine Chair']);
    const second = await list({ q: 'wood', limit: 2, cursor: first.next_cursor ?? '' });
    expect(names(second)).toEqual(['Notebook']);
    expect(second.next_cursor).toBeNull();
  });

  it.each([
    [{ limit: '0' }, 'query.limit'],
    [{ limit: '101' }, 'query.limit'],
    [{ limit: 'ten' }, 'query.limit'],
    [{ min_price: '-1' }, 'query.min_price'],
    [{ max_price: '1.234' }, 'query.max_price'],
    [{ cursor: 'not a cursor!' }, 'query.cursor'],
    [{ cursor: Buffer.from('{"c":1}').toString('base64url') }, 'query.cursor'],
    [{ cursor: 'bm90LWpzb24' }, 'query.cursor'],
  ])('answers 400 for %j', async (query, field) => {
    const res = await h.http().get('/api/v1/products').query(query);
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect((res.body as { errors: Array<{ field: string }> }).errors).toEqual([
      expect.objectContaining({ field }),
    ]);
  });

  it('answers 400 for a filter given twice', async () => {
    const res = await h.http().get('/api/v1/products?q=a&q=b');
    expect(res.status).toBe(400);
  });
});
