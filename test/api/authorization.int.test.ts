import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { routesOf } from '../../src/api/openapi';
import { handleCommand } from '../../src/commands/command-handler';
import { orderDecider, type OrderCommand } from '../../src/domain/orders/order.decider';
import { orderStream } from '../../src/domain/orders/order.events';
import { ADMIN, apiHarness, type ApiHarness } from '../support/api-harness';

/**
 * The authorization matrix: anonymous, customer and admin against every route the real app
 * registers. Each call is made with a valid request, so the status shows the authorization
 * decision alone: 2xx where allowed, 401 without a token, 403 for a customer on admin routes.
 * A route added without a row here fails the first test.
 */
type Who = 'anyone' | 'user' | 'admin';
type Caller = 'anonymous' | 'customer' | 'admin';
type Call = (h: ApiHarness, token: string | undefined) => Promise<number>;

const unique = () => randomUUID().slice(0, 8);

function send(
  h: ApiHarness,
  token: string | undefined,
  method: 'get' | 'post' | 'put' | 'delete',
  path: string,
  body?: object,
): Promise<number> {
  let req = request(h.app.callback())[method](path);
  if (token) req = req.set('Authorization', `Bearer ${token}`);
  return (body ? req.send(body) : req).then((res) => res.status);
}

async function createProduct(h: ApiHarness): Promise<string> {
  const res = await request(h.app.callback())
    .post('/api/v1/products')
    .set('Authorization', `Bearer ${h.adminToken}`)
    .send({ name: `Matrix ${unique()}`, description: 'd', price: 9.99, quantity: 50 });
  if (res.status !== 201) throw new Error(`product not created: ${res.status}`);
  return (res.body as { id: string }).id;
}

/** An order of the harness's customer (who owns it; the admin may see it too). */
async function placeOrder(h: ApiHarness): Promise<string> {
  const res = await request(h.app.callback())
    .post('/api/v1/orders')
    .set('Authorization', `Bearer ${h.customerToken}`)
    .send({
      items: [{ product_id: await createProduct(h), quantity: 1 }],
      shipping_address: {
        line1: '1 Main St',
        city: 'X',
        state: 'Y',
        postal_code: '1',
        country: 'US',
      },
      payment: { method: 'token', token: 'tok_ok_visa_4242_0123456789abcdef' },
    });
  if (res.status !== 201) throw new Error(`order not placed: ${res.status}`);
  return (res.body as { id: string }).id;
}

/** A processed order (what the saga would have appended), for the admin's shipping move. */
async function processedOrder(h: ApiHarness): Promise<string> {
  const id = await placeOrder(h);
  const order = await request(h.app.callback())
    .get(`/api/v1/orders/${id}`)
    .set('Authorization', `Bearer ${h.adminToken}`);
  const amount = Math.round((order.body as { total_price: number }).total_price * 100);
  const now = new Date().toISOString();
  const steps: OrderCommand[] = [
    { type: 'MarkStockReserved', orderId: id, now },
    { type: 'MarkPaymentCaptured', orderId: id, now, paymentId: `ch_${id}`, amount },
    { type: 'MarkProcessed', orderId: id, now },
  ];
  for (const command of steps) {
    await handleCommand(h.store, orderDecider, { streamName: orderStream(id), command });
  }
  return id;
}

async function refreshToken(h: ApiHarness): Promise<string> {
  const res = await request(h.app.callback()).post('/api/v1/auth/login').send(ADMIN);
  return (res.body as { refresh_token: string }).refresh_token;
}

const routes: Record<string, [Who, Call]> = {
  'POST /api/v1/auth/register': [
    'anyone',
    (h, t) =>
      send(h, t, 'post', '/api/v1/auth/register', {
        email: `m-${unique()}@example.com`,
        password: 'long-enough-1',
        first_name: 'M',
        last_name: 'X',
      }),
  ],
  'POST /api/v1/auth/login': ['anyone', (h, t) => send(h, t, 'post', '/api/v1/auth/login', ADMIN)],
  'POST /api/v1/auth/refresh': [
    'anyone',
    async (h, t) =>
      send(h, t, 'post', '/api/v1/auth/refresh', { refresh_token: await refreshToken(h) }),
  ],
  'GET /api/v1/users/me': ['user', (h, t) => send(h, t, 'get', '/api/v1/users/me')],
  'POST /api/v1/users/me/addresses': [
    'user',
    (h, t) =>
      send(h, t, 'post', '/api/v1/users/me/addresses', {
        line1: '1 Main St',
        city: 'Springfield',
        state: 'IL',
        postal_code: '62701',
        country: 'US',
        is_default: true,
      }),
  ],
  'POST /api/v1/products': [
    'admin',
    (h, t) =>
      send(h, t, 'post', '/api/v1/products', {
        name: `Matrix ${unique()}`,
        description: 'd',
        price: 5,
      }),
  ],
  'GET /api/v1/products': ['anyone', (h, t) => send(h, t, 'get', '/api/v1/products')],
  'GET /api/v1/products/{id}': [
    'anyone',
    async (h, t) => send(h, t, 'get', `/api/v1/products/${await createProduct(h)}`),
  ],
  'PUT /api/v1/products/{id}': [
    'admin',
    async (h, t) => send(h, t, 'put', `/api/v1/products/${await createProduct(h)}`, { price: 11 }),
  ],
  'DELETE /api/v1/products/{id}': [
    'admin',
    async (h, t) => send(h, t, 'delete', `/api/v1/products/${await createProduct(h)}`),
  ],
  'POST /api/v1/categories': [
    'admin',
    (h, t) => send(h, t, 'post', '/api/v1/categories', { name: `Cat ${unique()}` }),
  ],
  'GET /api/v1/categories': ['anyone', (h, t) => send(h, t, 'get', '/api/v1/categories')],
  'GET /api/v1/inventory': ['admin', (h, t) => send(h, t, 'get', '/api/v1/inventory')],
  'GET /api/v1/inventory/{product_id}': [
    'anyone',
    async (h, t) => send(h, t, 'get', `/api/v1/inventory/${await createProduct(h)}`),
  ],
  'POST /api/v1/inventory/{product_id}/restock': [
    'admin',
    async (h, t) =>
      send(h, t, 'post', `/api/v1/inventory/${await createProduct(h)}/restock`, { quantity: 5 }),
  ],
  'PUT /api/v1/inventory/{product_id}': [
    'admin',
    async (h, t) =>
      send(h, t, 'put', `/api/v1/inventory/${await createProduct(h)}`, { reorder_threshold: 3 }),
  ],
  'POST /api/v1/orders': [
    'user',
    async (h, t) =>
      send(h, t, 'post', '/api/v1/orders', {
        items: [{ product_id: await createProduct(h), quantity: 1 }],
        shipping_address: {
          line1: '1 Main St',
          city: 'X',
          state: 'Y',
          postal_code: '1',
          country: 'US',
        },
        payment: { method: 'token', token: 'tok_ok_visa_4242_0123456789abcdef' },
      }),
  ],
  'GET /api/v1/orders': ['user', (h, t) => send(h, t, 'get', '/api/v1/orders')],
  'GET /api/v1/orders/{id}': [
    'user',
    async (h, t) => send(h, t, 'get', `/api/v1/orders/${await placeOrder(h)}`),
  ],
  'GET /api/v1/orders/{id}/history': [
    'user',
    async (h, t) => send(h, t, 'get', `/api/v1/orders/${await placeOrder(h)}/history`),
  ],
  'POST /api/v1/orders/{id}/cancel': [
    'user',
    async (h, t) => send(h, t, 'post', `/api/v1/orders/${await placeOrder(h)}/cancel`),
  ],
  'DELETE /api/v1/orders/{id}': [
    'user',
    async (h, t) => send(h, t, 'delete', `/api/v1/orders/${await placeOrder(h)}`),
  ],
  'PUT /api/v1/orders/{id}/status': [
    'admin',
    async (h, t) =>
      send(h, t, 'put', `/api/v1/orders/${await processedOrder(h)}/status`, { status: 'shipped' }),
  ],
  'GET /api/v1/admin/projections': [
    'admin',
    (h, t) => send(h, t, 'get', '/api/v1/admin/projections'),
  ],
  'POST /api/v1/admin/projections/{name}/rebuild': [
    'admin',
    async (h, t) => {
      await h.rebuilds.idle(); // one at a time: a second would get 409
      return send(h, t, 'post', '/api/v1/admin/projections/low_stock_alerts/rebuild');
    },
  ],
  'GET /api/v1/health': ['anyone', (h, t) => send(h, t, 'get', '/api/v1/health')],
  'GET /api/v1/ready': ['anyone', (h, t) => send(h, t, 'get', '/api/v1/ready')],
  'GET /api/v1/openapi.json': ['anyone', (h, t) => send(h, t, 'get', '/api/v1/openapi.json')],
  'GET /health': ['anyone', (h, t) => send(h, t, 'get', '/health')],
  'GET /ready': ['anyone', (h, t) => send(h, t, 'get', '/ready')],
  'GET /metrics': ['anyone', (h, t) => send(h, t, 'get', '/metrics')],
  'GET /openapi.json': ['anyone', (h, t) => send(h, t, 'get', '/openapi.json')],
  'GET /docs': ['anyone', (h, t) => send(h, t, 'get', '/docs')],
  'GET /docs/assets/{file}': ['anyone', (h, t) => send(h, t, 'get', '/docs/assets/swagger-ui.css')],
};

const expected = (who: Who, caller: Caller): number | 'ok' => {
  if (who === 'anyone') return 'ok';
  if (caller === 'anonymous') return 401;
  if (who === 'admin' && caller === 'customer') return 403;
  return 'ok';
};

describe('authorization matrix', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness();
  }, 60_000);
  afterAll(() => h.close());

  it('has a row for every registered route, and no row for a route that does not exist', () => {
    expect(Object.keys(routes).sort()).toEqual(routesOf(h.app));
  });

  const cases = Object.entries(routes).flatMap(([route, [who, call]]) =>
    (['anonymous', 'customer', 'admin'] as const).map((caller) => ({ route, who, call, caller })),
  );

  it.each(cases)('$route as $caller', async ({ who, call, caller }) => {
    const token =
      caller === 'anonymous' ? undefined : caller === 'admin' ? h.adminToken : h.customerToken;
    const status = await call(h, token);
    const want = expected(who, caller);
    if (want === 'ok') {
      expect(status).toBeGreaterThanOrEqual(200);
      expect(status).toBeLessThan(300);
    } else {
      expect(status).toBe(want);
    }
  });

  it('refuses a forged token on a public route too (401, not anonymous)', async () => {
    const status = await send(h, 'not.a.token', 'get', '/api/v1/products');
    expect(status).toBe(401);
  });
});
