import { categoryStream } from '../../src/domain/catalog/category.events';
import { productStream } from '../../src/domain/catalog/product.events';
import { productsProjection, resetProjection } from '../../src/projections';
import { createCatalogHarness, newId, snapshot, type CatalogHarness } from './harness';

let h: CatalogHarness;

beforeAll(async () => {
  h = await createCatalogHarness();
});
afterAll(async () => {
  await h.close();
});

const at = (minute: number) => `2026-11-21T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe('products projection', () => {
  const mug = newId();
  const lamp = newId();
  const books = newId();

  beforeAll(async () => {
    await h.store.appendToStream(categoryStream(books), [
      {
        type: 'CategoryCreated',
        data: { categoryId: books, name: 'Books', description: 'Paper', at: at(0) },
      },
    ]);
    const base = { productId: mug };
    await h.store.appendToStream(productStream(mug), [
      {
        type: 'ProductCreated',
        data: {
          ...base,
          at: at(1),
          name: 'Mug',
          description: 'A mug',
          price: 1250,
          currency: 'USD',
          sku: 'MUG-1',
        },
      },
      {
        type: 'ProductCategorized',
        data: { ...base, at: at(1), categories: ['Kitchen', 'Books'] },
      },
      {
        type: 'ProductUpdated',
        data: { ...base, at: at(2), changes: { price: 1500, sku: 'MUG-2' } },
      },
      { type: 'ProductCategorized', data: { ...base, at: at(3), categories: ['Books'] } },
    ]);
    await h.store.appendToStream(productStream(lamp), [
      {
        type: 'ProductCreated',
        data: {
          productId: lamp,
          at: at(4),
          name: 'Lamp',
          description: 'Bright',
          price: 4000,
          currency: 'EUR',
          sku: 'LAMP',
        },
      },
      { type: 'ProductDeleted', data: { productId: lamp, at: at(5) } },
    ]);
    await h.caughtUp();
  });

  it('turns product and category events into rows', async () => {
    const { rows: products } = await h.pool.query(
      `SELECT id, name, description, price_minor::int AS price, currency, sku,
              created_at, updated_at, deleted_at FROM products ORDER BY created_at`,
    );
    expect(products).toEqual([
      {
        id: mug,
        name: 'Mug',
        description: 'A mug',
        price: 1500,
        currency: 'USD',
        sku: 'MUG-2',
        created_at: new Date(at(1)),
        updated_at: new Date(at(3)),
        deleted_at: null,
      },
      {
        id: lamp,
        name: 'Lamp',
        description: 'Bright',
        price: 4000,
        currency: 'EUR',
        sku: 'LAMP',
        created_at: new Date(at(4)),
        updated_at: new Date(at(5)),
        deleted_at: new Date(at(5)),
      },
    ]);
    const { rows: links } = await h.pool.query(
      'SELECT product_id, name_key, name FROM product_categories ORDER BY ordinal',
    );
    expect(links).toEqual([{ product_id: mug, name_key: 'books', name: 'Books' }]);
    const { rows: categories } = await h.pool.query(
      'SELECT id, name, name_key, description FROM categories',
    );
    expect(categories).toEqual([
      { id: books, name: 'Books', name_key: 'books', description: 'Paper' },
    ]);
  });

  it('rebuilds the same rows when replayed from zero', async () => {
    const before = await snapshot(h.pool, productsProjection);
    expect(before.products).toHaveLength(2);
    await h.stopProjections();
    await resetProjection(h.pool, productsProjection);
    expect((await snapshot(h.pool, productsProjection)).products).toEqual([]);
    h.startProjections();
    await h.caughtUp();
    expect(await snapshot(h.pool, productsProjection)).toEqual(before);
  });

  it('applies nothing twice: a batch handled again changes no row', async () => {
    const before = await snapshot(h.pool, productsProjection);
    const events = await h.store.readAll({ filter: productsProjection.filter });
    const client = await h.pool.connect();
    try {
      await client.query('BEGIN');
      await productsProjection.handle(events, client);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await snapshot(h.pool, productsProjection)).toEqual(before);
  });
});
