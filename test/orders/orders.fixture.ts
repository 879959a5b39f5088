import request from 'supertest';
import type { ApiHarness } from '../support/api-harness';

/** Helpers the order API tests share: products, bodies, placing, counting events. */

export const ADDRESS = {
  line1: '1 Main St',
  city: 'Springfield',
  state: 'IL',
  postal_code: '62701',
  country: 'US',
};

export const card = (number = '4242 4242 4242 4242') => ({
  method: 'card',
  card_number: number,
  exp_month: 12,
  exp_year: new Date().getUTCFullYear() + 2,
  cvc: '123',
});

export const TOKEN = { method: 'token', token: 'tok_ok_visa_4242_0123456789abcdef' };

let products = 0;

export async function createProduct(h: ApiHarness, price: number, quantity = 50): Promise<string> {
  products += 1;
  const res = await request(h.app.callback())
    .post('/api/v1/products')
    .set('Authorization', `Bearer ${h.adminToken}`)
    .send({ name: `Order item ${process.pid}-${products}`, description: 'd', price, quantity });
  if (res.status !== 201) throw new Error(`product not created: ${res.status}`);
  return (res.body as { id: string }).id;
}

export function post(h: ApiHarness, token: string, body: unknown, key?: string) {
  let req = request(h.app.callback())
    .post('/api/v1/orders')
    .set('Authorization', `Bearer ${token}`);
  if (key !== undefined) req = req.set('Idempotency-Key', key);
  return req.send(body as object);
}

export function call(
  h: ApiHarness,
  token: string,
  method: 'get' | 'post' | 'put' | 'delete',
  path: string,
  body?: object,
) {
  const req = request(h.app.callback())
    [method](`/api/v1${path}`)
    .set('Authorization', `Bearer ${token}`);
  return body ? req.send(body) : req;
}

export async function userIdOf(h: ApiHarness, token: string): Promise<string> {
  const res = await call(h, token, 'get', '/users/me');
  return (res.body as { id: string }).id;
}

/** Order events in the store, optionally of one stream. */
export async function orderEvents(h: ApiHarness, orderId?: string) {
  const { rows } = await h.pool.query<{
    event_id: string;
    event_type: string;
    data: Record<string, unknown>;
  }>(
    `SELECT event_id, event_type, data FROM es_events
      WHERE stream_name LIKE 'order-%' AND ($1::text IS NULL OR stream_name = 'order-' || $1)
      ORDER BY position`,
    [orderId ?? null],
  );
  return rows;
}

export async function stockOf(h: ApiHarness, productId: string) {
  const res = await request(h.app.callback()).get(`/api/v1/inventory/${productId}`);
  return res.body as { on_hand: number; reserved_quantity: number; available_quantity: number };
}
