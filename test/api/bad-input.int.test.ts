import request from 'supertest';
import { apiHarness, type ApiHarness } from '../support/api-harness';

/**
 * Bad input against every write endpoint: each gets a 4xx problem+json (a 400 names the bad
 * fields) and changes nothing: no event, no row in any table.
 */
type Auth = 'none' | 'customer' | 'admin';
interface Case {
  name: string;
  method: 'post' | 'put' | 'delete';
  path: (productId: string) => string;
  auth: Auth;
  body?: unknown;
  /** Raw body with its content type, for what JSON cannot express. */
  raw?: { type: string; data: string };
  status: number;
  /** Fields a 400 must name (each `errors[].field`). */
  fields?: string[];
}

const MISSING = '00000000-0000-4000-8000-000000000000';

const cases: Case[] = [
  // Transport-level refusals, on a representative endpoint of each kind.
  {
    name: 'malformed JSON',
    method: 'post',
    path: () => '/api/v1/auth/register',
    auth: 'none',
    raw: { type: 'application/json', data: '{"email":' },
    status: 400,
  },
  {
    name: 'wrong content type',
    method: 'post',
    path: () => '/api/v1/products',
    auth: 'admin',
    raw: { type: 'text/plain', data: 'name=x' },
    status: 415,
  },
  {
    name: 'body over 1 MiB',
    method: 'post',
    path: () => '/api/v1/categories',
    auth: 'admin',
    raw: { type: 'application/json', data: JSON.stringify({ name: 'x'.repeat(1_100_000) }) },
    status: 413,
  },
  // Identity.
  {
    name: 'register: empty body',
    method: 'post',
    path: () => '/api/v1/auth/register',
    auth: 'none',
    body: {},
    status: 400,
    fields: ['body.email', 'body.password', 'body.first_name', 'body.last_name'],
  },
  {
    name: 'register: bad email, short password',
    method: 'post',
    path: () => '/api/v1/auth/register',
    auth: 'none',
    body: { email: 'not-an-email', password: 'short', first_name: 'A', last_name: 'B' },
    status: 400,
    fields: ['body.email', 'body.password'],
  },
  {
    name: 'login: no credentials',
    method: 'post',
    path: () => '/api/v1/auth/login',
    auth: 'none',
    body: {},
    status: 400,
  },
  {
    name: 'refresh: no token',
    method: 'post',
    path: () => '/api/v1/auth/refresh',
    auth: 'none',
    body: {},
    status: 400,
    fields: ['body.refresh_token'],
  },
  {
    name: 'address: missing fields',
    method: 'post',
    path: () => '/api/v1/users/me/addresses',
    auth: 'customer',
    body: { line1: '' },
    status: 400,
    fields: ['body.line1', 'body.city', 'body.postal_code', 'body.country'],
  },
  // Catalog.
  {
    name: 'product: empty body',
    method: 'post',
    path: () => '/api/v1/products',
    auth: 'admin',
    body: {},
    status: 400,
    fields: ['body.name', 'body.price'],
  },
  {
    name: 'product: negative price, fractional quantity',
    method: 'post',
    path: () => '/api/v1/products',
    auth: 'admin',
    body: { name: 'Bad', description: 'd', price: -1, quantity: 1.5 },
    status: 400,
    fields: ['body.price', 'body.quantity'],
  },
  {
    name: 'product: price with three decimals',
    method: 'post',
    path: () => '/api/v1/products',
    auth: 'admin',
    body: { name: 'Bad', description: 'd', price: 1.234 },
    status: 400,
    fields: ['body.price'],
  },
  {
    name: 'product: price as a string',
    method: 'post',
    path: () => '/api/v1/products',
    auth: 'admin',
    body: { name: 'Bad', description: 'd', price: '12.00' },
    status: 400,
    fields: ['body.price'],
  },
  {
    name: 'product update: wrong types',
    method: 'put',
    path: (id) => `/api/v1/products/${id}`,
    auth: 'admin',
    body: { name: 3, price: -5 },
    status: 400,
    fields: ['body.name', 'body.price'],
  },
  {
    name: 'product update: unknown id',
    method: 'put',
    path: () => `/api/v1/products/${MISSING}`,
    auth: 'admin',
    body: { price: 5 },
    status: 404,
  },
  {
    name: 'product update: malformed id',
    method: 'put',
    path: () => '/api/v1/products/not-a-uuid',
    auth: 'admin',
    body: { price: 5 },
    status: 404,
  },
  {
    name: 'product delete: unknown id',
    method: 'delete',
    path: () => `/api/v1/products/${MISSING}`,
    auth: 'admin',
    status: 404,
  },
  {
    name: 'category: empty name',
    method: 'post',
    path: () => '/api/v1/categories',
    auth: 'admin',
    body: { name: '' },
    status: 400,
    fields: ['body.name'],
  },
  // Inventory.
  {
    name: 'restock: zero',
    method: 'post',
    path: (id) => `/api/v1/inventory/${id}/restock`,
    auth: 'admin',
    body: { quantity: 0 },
    status: 400,
    fields: ['body.quantity'],
  },
  {
    name: 'restock: not a number',
    method: 'post',
    path: (id) => `/api/v1/inventory/${id}/restock`,
    auth: 'admin',
    body: { quantity: 'ten' },
    status: 400,
    fields: ['body.quantity'],
  },
  {
    name: 'restock: unknown product',
    method: 'post',
    path: () => `/api/v1/inventory/${MISSING}/restock`,
    auth: 'admin',
    body: { quantity: 5 },
    status: 404,
  },
  {
    name: 'inventory update: nothing to change',
    method: 'put',
    path: (id) => `/api/v1/inventory/${id}`,
    auth: 'admin',
    body: {},
    status: 400,
  },
  {
    name: 'inventory update: negative threshold',
    method: 'put',
    path: (id) => `/api/v1/inventory/${id}`,
    auth: 'admin',
    body: { reorder_threshold: -1 },
    status: 400,
    fields: ['body.reorder_threshold'],
  },
  {
    name: 'inventory update: adjustment below zero stock',
    method: 'put',
    path: (id) => `/api/v1/inventory/${id}`,
    auth: 'admin',
    body: { adjustment: -1000, reason: 'shrinkage' },
    status: 409,
  },
  // Orders.
  {
    name: 'order: empty body',
    method: 'post',
    path: () => '/api/v1/orders',
    auth: 'customer',
    body: {},
    status: 400,
    fields: ['body.items', 'body.payment'],
  },
  {
    name: 'order: bad quantity, bad card, no address',
    method: 'post',
    path: () => '/api/v1/orders',
    auth: 'customer',
    body: {
      items: [{ product_id: 'not-a-uuid', quantity: 0 }],
      payment: { method: 'card', card_number: '1234', exp_month: 0, exp_year: 2030, cvc: '1' },
    },
    status: 400,
    fields: [
      'body.items[0].quantity',
      'body.payment.card_number',
      'body.payment.exp_month',
      'body.payment.cvc',
    ],
  },
  {
    name: 'order: unknown product',
    method: 'post',
    path: () => '/api/v1/orders',
    auth: 'customer',
    body: {
      items: [{ product_id: MISSING, quantity: 1 }],
      shipping_address: { line1: 'a', city: 'b', state: 'c', postal_code: 'd', country: 'US' },
      payment: { method: 'token', token: 'tok_x' },
    },
    status: 422,
    fields: ['body.items[0].product_id'],
  },
  {
    name: 'order: anonymous',
    method: 'post',
    path: () => '/api/v1/orders',
    auth: 'none',
    body: {},
    status: 401,
  },
  {
    name: 'order status: not a fulfilment move',
    method: 'put',
    path: () => `/api/v1/orders/${MISSING}/status`,
    auth: 'admin',
    body: { status: 'paid' },
    status: 400,
    fields: ['body.status'],
  },
  {
    name: 'order cancel: unknown order',
    method: 'post',
    path: () => `/api/v1/orders/${MISSING}/cancel`,
    auth: 'customer',
    status: 404,
  },
];

/** Every table's row count (checkpoints move on their own and are left out). */
async function snapshot(h: ApiHarness): Promise<Record<string, number>> {
  const { rows } = await h.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
        AND table_name NOT IN ('consumer_checkpoints', 'schema_migrations')`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of rows) {
    const r = await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table_name}"`);
    counts[table_name] = r.rows[0]?.n ?? -1;
  }
  return counts;
}

describe('bad input changes nothing', () => {
  let h: ApiHarness;
  let productId: string;
  beforeAll(async () => {
    h = await apiHarness();
    const res = await request(h.app.callback())
      .post('/api/v1/products')
      .set('Authorization', `Bearer ${h.adminToken}`)
      .send({ name: 'Steady', description: 'stays as it is', price: 20, quantity: 7 });
    productId = (res.body as { id: string }).id;
  }, 60_000);
  afterAll(() => h.close());

  it.each(cases)('$name → $status', async (c) => {
    const before = await snapshot(h);
    let req = request(h.app.callback())[c.method](c.path(productId));
    if (c.auth !== 'none') {
      req = req.set(
        'Authorization',
        `Bearer ${c.auth === 'admin' ? h.adminToken : h.customerToken}`,
      );
    }
    const res = c.raw
      ? await req.set('Content-Type', c.raw.type).send(c.raw.data)
      : c.body !== undefined
        ? await req.send(c.body as object)
        : await req;

    expect(res.status).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.body as {
      status: number;
      title: string;
      errors?: Array<{ field: string }>;
    };
    expect(problem.status).toBe(c.status);
    if (c.fields) {
      expect(problem.errors?.map((e) => e.field)).toEqual(expect.arrayContaining(c.fields));
    }
    expect(await snapshot(h)).toEqual(before);
  });

  it('left the product and its stock as they were', async () => {
    const product = await request(h.app.callback()).get(`/api/v1/products/${productId}`);
    expect(product.body).toMatchObject({ name: 'Steady', price: 20 });
    const stock = await request(h.app.callback()).get(`/api/v1/inventory/${productId}`);
    expect(stock.body).toMatchObject({ on_hand: 7, available_quantity: 7, reserved_quantity: 0 });
  });
});
