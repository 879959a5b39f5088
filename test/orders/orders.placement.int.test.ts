import { pruneIdempotencyKeys } from '../../src/commands/orders.commands';
import { startIdempotencyKeyPruning } from '../../src/orders/key-pruning';
import { apiHarness, type ApiHarness } from '../support/api-harness';
import {
  ADDRESS,
  call,
  card,
  createProduct,
  orderEvents,
  post,
  stockOf,
  TOKEN,
  userIdOf,
} from './orders.fixture';

interface OrderBody {
  id: string;
  user_id: string;
  status: string;
  items: { product_id: string; quantity: number; unit_price: number; line_total: number }[];
  total_price: number;
  currency: string;
  payment: { method: string; brand: string | null; last4: string | null };
}
const quiet = { info: () => undefined, warn: () => undefined };

interface ProblemBody {
  status: number;
  code?: string;
  errors?: { field: string }[];
}

describe('POST /orders', () => {
  let h: ApiHarness;
  let cheap: string; // 19.99
  let dear: string; // 5.50
  beforeAll(async () => {
    h = await apiHarness();
    cheap = await createProduct(h, 19.99, 40);
    dear = await createProduct(h, 5.5, 40);
  }, 60_000);
  afterAll(() => h.close());

  it('places a card order at catalog prices: 201, pending, readable at once', async () => {
    const before = Date.now();
    const res = await post(h, h.customerToken, {
      items: [
        { product_id: cheap, quantity: 3 },
        { product_id: dear, quantity: 2, price: 5.5 },
      ],
      shipping_address: ADDRESS,
      payment: card(),
    });
    expect(res.status).toBe(201);
    const order = res.body as OrderBody;
    expect(order).toMatchObject({
      user_id: await userIdOf(h, h.customerToken),
      status: 'pending',
      items: [
        { product_id: cheap, quantity: 3, unit_price: 19.99, line_total: 59.97 },
        { product_id: dear, quantity: 2, unit_price: 5.5, line_total: 11 },
      ],
      total_price: 70.97,
      currency: 'USD',
      shipping_address: ADDRESS,
      payment: { method: 'card', brand: 'visa', last4: '4242' },
    });
    expect(typeof (res.body as { created_at: unknown }).created_at).toBe('string');
    expect(res.headers.location).toBe(`/api/v1/orders/${order.id}`);

    const got = await call(h, h.customerToken, 'get', `/orders/${order.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: order.id, status: 'pending', total_price: 70.97 });

    const [placed] = await orderEvents(h, order.id);
    expect(placed?.event_type).toBe('OrderPlaced');
    expect(placed?.data).toMatchObject({ totalPrice: 7097, payment: { last4: '4242' } });
    // Time-ordered keys: the order id is a version 7 made now, its event's id keeps that time.
    expect(order.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/);
    const madeAt = parseInt(order.id.slice(0, 8) + order.id.slice(9, 13), 16);
    expect(madeAt).toBeGreaterThanOrEqual(before);
    expect(madeAt).toBeLessThanOrEqual(Date.now());
    expect(placed?.event_id.slice(0, 15)).toBe(`${order.id.slice(0, 13)}-8`);
    const tokens = await h.pool.query<{ token: string }>(
      'SELECT token FROM order_payment_tokens WHERE order_id = $1',
      [order.id],
    );
    expect(tokens.rows[0]?.token).toMatch(/^tok_ok_visa_4242_/);
  });

  it('places a token order and ignores user_id, status and total_price in the body', async () => {
    const res = await post(h, h.customerToken, {
      items: [{ product_id: cheap, quantity: 1 }],
      shipping_address: ADDRESS,
      payment: TOKEN,
      user_id: '00000000-0000-4000-8000-000000000000',
      status: 'delivered',
      total_price: 0.01,
    });
    expect(res.status).toBe(201);
    const order = res.body as OrderBody;
    expect(order.user_id).toBe(await userIdOf(h, h.customerToken));
    expect(order).toMatchObject({ status: 'pending', total_price: 19.99 });
    expect(order.payment).toEqual({ method: 'token', brand: null, last4: null });
    const tokens = await h.pool.query(
      'SELECT token FROM order_payment_tokens WHERE order_id = $1',
      [order.id],
    );
    expect(tokens.rows).toEqual([{ token: TOKEN.token }]);
  });

  it('ships to an address the customer owns, given by address_id', async () => {
    const added = await call(h, h.customerToken, 'post', '/users/me/addresses', {
      ...ADDRESS,
      line1: '9 Elm St',
      is_default: false,
    });
    expect(added.status).toBe(201);
    const res = await post(h, h.customerToken, {
      items: [{ product_id: dear, quantity: 1 }],
      address_id: (added.body as { id: string }).id,
      payment: TOKEN,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ shipping_address: { ...ADDRESS, line1: '9 Elm St' } });
  });

  it('refuses a client price that differs from the catalog: 409 price_changed naming the line', async () => {
    const before = (await orderEvents(h)).length;
    const res = await post(h, h.customerToken, {
      items: [
        { product_id: cheap, quantity: 1, price: 19.99 },
        { product_id: dear, quantity: 1, price: 4.99 },
      ],
      shipping_address: ADDRESS,
      payment: TOKEN,
    });
    expect(res.status).toBe(409);
    const problem = res.body as ProblemBody;
    expect(problem.code).toBe('price_changed');
    expect(problem.errors?.map((e) => e.field)).toEqual(['body.items[1].price']);
    expect(await orderEvents(h)).toHaveLength(before);
  });

  it('prices, stores and answers concurrent placements each from its own request', async () => {
    // Placements running at once share their catalog, token and read-model queries: each
    // must still get its own lines, its own token and its own order, and a bad one alone fails.
    const unknown = '00000000-0000-4000-8000-000000000000';
    const bodies = Array.from({ length: 12 }, (_, i) => ({
      items:
        i === 5
          ? [{ product_id: unknown, quantity: 1 }]
          : [{ product_id: i % 2 === 0 ? cheap : dear, quantity: i + 1 }],
      shipping_address: ADDRESS,
      payment: { method: 'token', token: `tok_concurrent_${i}` },
    }));
    const answers = await Promise.all(bodies.map((body) => post(h, h.customerToken, body)));
    answers.forEach((res, i) => {
      if (i === 5) {
        expect(res.status).toBe(422);
        expect((res.body as ProblemBody).errors?.map((e) => e.field)).toEqual([
          'body.items[0].product_id',
        ]);
        return;
      }
      expect(res.status).toBe(201);
      const price = i % 2 === 0 ? 19.99 : 5.5;
      expect(res.body).toMatchObject({
        status: 'pending',
        items: [{ product_id: i % 2 === 0 ? cheap : dear, quantity: i + 1, unit_price: price }],
      });
    });
    const placed = answers.filter((res) => res.status === 201).map((res) => res.body as OrderBody);
    expect(new Set(placed.map((o) => o.id)).size).toBe(11);
    const { rows } = await h.pool.query<{ order_id: string; token: string }>(
      'SELECT order_id, token FROM order_payment_tokens WHERE order_id = ANY($1::uuid[])',
      [placed.map((o) => o.id)],
    );
    const tokenOf = new Map(rows.map((r) => [r.order_id, r.token]));
    placed.forEach((order) => {
      const i = answers.findIndex((res) => (res.body as OrderBody).id === order.id);
      expect(tokenOf.get(order.id)).toBe(`tok_concurrent_${i}`);
    });
  });

  describe('bad orders name every bad field and change nothing', () => {
    const line = (over: object = {}) => ({ product_id: '', quantity: 1, ...over });
    const base = () => ({
      items: [line({ product_id: cheap })],
      shipping_address: ADDRESS,
      payment: TOKEN,
    });
    const cases: [string, () => object | Promise<object>, number, string[]][] = [
      ['no lines', () => ({ ...base(), items: [] }), 400, ['body.items']],
      [
        '101 lines',
        () => ({
          ...base(),
          items: Array.from({ length: 101 }, () => line({ product_id: cheap })),
        }),
        400,
        ['body.items'],
      ],
      [
        'quantities 0, 1.5 and 10,001',
        () => ({
          ...base(),
          items: [
            line({ product_id: cheap, quantity: 0 }),
            line({ product_id: dear, quantity: 1.5 }),
            line({ product_id: cheap, quantity: 10_001 }),
          ],
        }),
        400,
        ['body.items[0].quantity', 'body.items[1].quantity', 'body.items[2].quantity'],
      ],
      [
        'malformed product id',
        () => ({ ...base(), items: [line({ product_id: 'nope' })] }),
        400,
        ['body.items[0].product_id'],
      ],
      [
        'same product on two lines',
        () => ({
          ...base(),
          items: [line({ product_id: cheap }), line({ product_id: cheap })],
        }),
        400,
        ['body.items[1].product_id'],
      ],
      [
        'unknown and deleted products',
        async () => {
          const gone = await createProduct(h, 1);
          await call(h, h.adminToken, 'delete', `/products/${gone}`).expect(204);
          return {
            ...base(),
            items: [
              line({ product_id: cheap }),
              line({ product_id: '00000000-0000-4000-8000-000000000000' }),
              line({ product_id: gone }),
            ],
          };
        },
        422,
        ['body.items[1].product_id', 'body.items[2].product_id'],
      ],
      [
        'no address',
        () => ({ items: base().items, payment: TOKEN }),
        400,
        ['body.shipping_address'],
      ],
      [
        'address missing its city, blank line1',
        () => ({ ...base(), shipping_address: { ...ADDRESS, city: undefined, line1: ' ' } }),
        400,
        ['body.shipping_address.city', 'body.shipping_address.line1'],
      ],
      [
        'an address of someone else',
        async () => {
          const other = await h.newCustomer();
          const added = await call(h, other, 'post', '/users/me/addresses', {
            ...ADDRESS,
            is_default: true,
          });
          return {
            items: base().items,
            address_id: (added.body as { id: string }).id,
            payment: TOKEN,
          };
        },
        422,
        ['body.address_id'],
      ],
      [
        'card failing Luhn, month 13, cvc of letters',
        () => ({
          ...base(),
          payment: { ...card('4242 4242 4242 4241'), exp_month: 13, cvc: 'ab1' },
        }),
        400,
        ['body.payment.card_number', 'body.payment.exp_month', 'body.payment.cvc'],
      ],
      [
        'expired card',
        () => ({ ...base(), payment: { ...card(), exp_year: 2020 } }),
        400,
        ['body.payment.exp_year'],
      ],
      [
        'unknown payment method and missing token',
        () => ({ ...base(), payment: { method: 'cash' } }),
        400,
        ['body.payment.method'],
      ],
      [
        'token payment without a token',
        () => ({ ...base(), payment: { method: 'token' } }),
        400,
        ['body.payment.token'],
      ],
      [
        'no payment',
        () => ({ items: base().items, shipping_address: ADDRESS }),
        400,
        ['body.payment'],
      ],
    ];

    it.each(cases)('%s', async (_name, body, status, fields) => {
      const payload = await body();
      const events = (await orderEvents(h)).length;
      const tokens = await h.pool.query('SELECT count(*)::int AS n FROM order_payment_tokens');
      const stock = await stockOf(h, cheap);
      const res = await post(h, h.customerToken, payload, `bad-${Math.random()}`);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((res.body as ProblemBody).errors?.map((e) => e.field)).toEqual(
        expect.arrayContaining(fields),
      );
      expect(await orderEvents(h)).toHaveLength(events);
      expect(
        (await h.pool.query('SELECT count(*)::int AS n FROM order_payment_tokens')).rows,
      ).toEqual(tokens.rows);
      expect(
        (
          await h.pool.query(
            'SELECT count(*)::int AS n FROM order_idempotency_keys WHERE key LIKE $1',
            ['bad-%'],
          )
        ).rows,
      ).toEqual([{ n: 0 }]);
      expect(await stockOf(h, cheap)).toEqual(stock);
    });
  });

  describe('Idempotency-Key', () => {
    const body = () => ({
      items: [{ product_id: dear, quantity: 2 }],
      shipping_address: ADDRESS,
      payment: card(),
    });

    it('answers the same key and body with the same order, placed once', async () => {
      const key = `same-${Date.now()}`;
      const first = await post(h, h.customerToken, body(), key);
      const second = await post(h, h.customerToken, body(), key);
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      const id = (first.body as OrderBody).id;
      expect((second.body as OrderBody).id).toBe(id);
      expect(await orderEvents(h, id)).toHaveLength(1);
    });

    it('prunes keys past their retention; a request repeated after that still meets its order', async () => {
      const old = `old-${Date.now()}`;
      const fresh = `fresh-${Date.now()}`;
      const first = await post(h, h.customerToken, body(), old);
      await post(h, h.customerToken, body(), fresh);
      const userId = await userIdOf(h, h.customerToken);
      const age = (key: string, hours: number) =>
        h.pool.query(
          `UPDATE order_idempotency_keys SET created_at = now() - make_interval(hours => $3)
            WHERE user_id = $1 AND key = $2`,
          [userId, key, hours],
        );
      const keys = async () =>
        (
          await h.pool.query<{ key: string }>(
            'SELECT key FROM order_idempotency_keys WHERE user_id = $1 AND key = ANY($2) ORDER BY key',
            [userId, [old, fresh]],
          )
        ).rows.map((r) => r.key);
      await age(old, 25);
      await age(fresh, 23);

      // The API's housekeeping runs a pass at start: the 25-hour-old key goes, the other stays.
      const pruning = startIdempotencyKeyPruning({
        pool: h.pool,
        logger: quiet,
        retentionHours: 24,
      });
      await pruning.stop();
      expect(await keys()).toEqual([fresh]);

      const again = await post(h, h.customerToken, body(), old);
      expect(again.status).toBe(201);
      const id = (first.body as OrderBody).id;
      expect((again.body as OrderBody).id).toBe(id);
      expect(await orderEvents(h, id)).toHaveLength(1);
    });

    it('prunes in batches until no old key is left', async () => {
      const userId = await userIdOf(h, h.customerToken);
      const stale = [1, 2, 3].map((n) => `stale-${n}-${Date.now()}`);
      for (const key of stale) await post(h, h.customerToken, body(), key);
      await h.pool.query(
        `UPDATE order_idempotency_keys SET created_at = now() - interval '30 hours'
          WHERE user_id = $1 AND key = ANY($2)`,
        [userId, stale],
      );
      expect(await pruneIdempotencyKeys(h.pool, 24, 1)).toBeGreaterThanOrEqual(3);
      const left = await h.pool.query(
        'SELECT 1 FROM order_idempotency_keys WHERE created_at < now() - interval $$24 hours$$',
      );
      expect(left.rowCount).toBe(0);
    });

    it('keys are per user: another customer with the same key gets its own order', async () => {
      const key = `shared-${Date.now()}`;
      const mine = await post(h, h.customerToken, body(), key);
      const theirs = await post(h, await h.newCustomer(), body(), key);
      expect(theirs.status).toBe(201);
      expect((theirs.body as OrderBody).id).not.toBe((mine.body as OrderBody).id);
    });

    it('converges when requests with one key race: one order, one OrderPlaced', async () => {
      const key = `race-${Date.now()}`;
      const results = await Promise.all(
        Array.from({ length: 6 }, () => post(h, h.customerToken, body(), key)),
      );
      expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
      const ids = new Set(results.map((r) => (r.body as OrderBody).id));
      expect(ids.size).toBe(1);
      const [id] = [...ids];
      const events = await orderEvents(h, id);
      expect(events.map((e) => e.event_type)).toEqual(['OrderPlaced']);
    });

    it('refuses the same key with a different body: 422, nothing placed', async () => {
      const key = `diff-${Date.now()}`;
      const first = await post(h, h.customerToken, body(), key);
      expect(first.status).toBe(201);
      const before = (await orderEvents(h)).length;
      const other = await post(
        h,
        h.customerToken,
        { ...body(), items: [{ product_id: dear, quantity: 3 }] },
        key,
      );
      expect(other.status).toBe(422);
      expect((other.body as ProblemBody).code).toBe('idempotency_key_reused');
      expect(await orderEvents(h)).toHaveLength(before);
    });
  });

  it('never stores or logs the card number: not in events, tables or log lines', async () => {
    const number = '4111111111111111';
    const res = await post(
      h,
      h.customerToken,
      {
        items: [{ product_id: cheap, quantity: 1 }],
        shipping_address: ADDRESS,
        payment: card('4111 1111 1111 1111'),
      },
      `card-${Date.now()}`,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ payment: { brand: 'visa', last4: '1111' } });
    expect(JSON.stringify(res.body)).not.toContain(number);

    const { rows: tables } = await h.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['es_events', 'orders']),
    );
    for (const { table_name } of tables) {
      const { rows } = await h.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${table_name}" t
          WHERE regexp_replace(t::text, '[^0-9]', '', 'g') LIKE '%' || $1 || '%'`,
        [number],
      );
      expect({ table_name, n: rows[0]?.n }).toEqual({ table_name, n: 0 });
    }
    const logs = JSON.stringify(h.logLines).replace(/[^0-9]/g, '');
    expect(h.logLines.length).toBeGreaterThan(0);
    expect(logs).not.toContain(number);
  });
});
