import { Client } from 'pg';
import { productLockKey } from '../../src/commands/catalog.claims';
import { productStream } from '../../src/domain/catalog/product.events';
import {
  createCatalogHarness,
  newId,
  newProduct,
  type CatalogHarness,
} from '../projections/harness';

/**
 * The claims table under crashes: a claim left behind by a process that died between claim
 * and append, or between append and release, is taken over; one whose owner is in flight
 * (its product lock held) or still uses the key is not.
 */
let h: CatalogHarness;
const admin = { 'x-test-role': 'admin' };

beforeAll(async () => {
  h = await createCatalogHarness();
});
afterAll(async () => {
  await h.close();
});

const post = (body: Record<string, unknown>) =>
  h.http().post('/api/v1/products').set(admin).send(body);

async function claim(kind: 'sku' | 'name', key: string, productId: string): Promise<void> {
  await h.pool.query('INSERT INTO catalog_claims (kind, key, product_id) VALUES ($1, $2, $3)', [
    kind,
    key,
    productId,
  ]);
}

async function owner(kind: 'sku' | 'name', key: string): Promise<string | undefined> {
  const { rows } = await h.pool.query<{ product_id: string }>(
    'SELECT product_id FROM catalog_claims WHERE kind = $1 AND key = $2',
    [kind, key],
  );
  return rows[0]?.product_id;
}

describe('SKU and name claims', () => {
  it('takes over a claim whose product never came to be (crash before the append)', async () => {
    const ghost = newId();
    await claim('sku', 'GHOST-1', ghost);
    await claim('name', 'ghost product', ghost);
    const res = await post(newProduct({ sku: 'ghost-1', name: 'Ghost Product' }));
    expect(res.status).toBe(201);
    const id = (res.body as { id: string }).id;
    expect(await owner('sku', 'GHOST-1')).toBe(id);
    expect(await owner('name', 'ghost product')).toBe(id);
  });

  it('does not take a claim whose owner is in flight (its lock held), until it is done', async () => {
    const inFlight = newId();
    await claim('sku', 'BUSY-1', inFlight);
    const other = new Client({ connectionString: h.db.connectionString });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [productLockKey(inFlight)]);
      const refused = await post(newProduct({ sku: 'BUSY-1' }));
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'sku_taken' });
      expect(await owner('sku', 'BUSY-1')).toBe(inFlight);
    } finally {
      await other.end(); // as a crash would: the session ends, its lock with it
    }
    expect((await post(newProduct({ sku: 'BUSY-1' }))).status).toBe(201);
  });

  it('takes over the claims of a product deleted by a process that died before releasing', async () => {
    const res = await post(newProduct({ sku: 'DEL-1', name: 'Deleted Thing' }));
    const id = (res.body as { id: string }).id;
    await h.store.appendToStream(productStream(id), [
      { type: 'ProductDeleted', data: { productId: id, at: new Date().toISOString() } },
    ]);
    expect(await owner('sku', 'DEL-1')).toBe(id);
    expect((await post(newProduct({ sku: 'DEL-1', name: 'deleted thing' }))).status).toBe(201);
  });

  it('takes over an old name kept by a rename that died before releasing it', async () => {
    const res = await post(newProduct({ name: 'Old Name' }));
    const id = (res.body as { id: string }).id;
    await h.store.appendToStream(productStream(id), [
      {
        type: 'ProductUpdated',
        data: { productId: id, at: new Date().toISOString(), changes: { name: 'New Name' } },
      },
    ]);
    expect((await post(newProduct({ name: 'old name' }))).status).toBe(201);
  });

  it('keeps a claim whose owner is live and still uses the key', async () => {
    const res = await post(newProduct({ sku: 'LIVE-1' }));
    const id = (res.body as { id: string }).id;
    expect((await post(newProduct({ sku: 'LIVE-1' }))).status).toBe(409);
    expect(await owner('sku', 'LIVE-1')).toBe(id);
  });
});
