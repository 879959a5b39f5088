import { handleCommand } from '../../src/commands/command-handler';
import { orderDecider, type OrderCommand } from '../../src/domain/orders/order.decider';
import { orderStream } from '../../src/domain/orders/order.events';
import { apiHarness, type ApiHarness } from '../support/api-harness';
import { ADDRESS, call, createProduct, orderEvents, post, TOKEN } from './orders.fixture';

interface OrderBody {
  id: string;
  status: string;
  total_price: number;
}

describe('order queries, cancellation and admin moves', () => {
  let h: ApiHarness;
  let product: string;
  let other: string; // a second customer
  beforeAll(async () => {
    h = await apiHarness();
    product = await createProduct(h, 10, 100);
    other = await h.newCustomer();
  }, 60_000);
  afterAll(() => h.close());

  const place = async (token: string, quantity = 1): Promise<OrderBody> => {
    const res = await post(h, token, {
      items: [{ product_id: product, quantity }],
      shipping_address: ADDRESS,
      payment: TOKEN,
    });
    expect(res.status).toBe(201);
    return res.body as OrderBody;
  };

  /** What the fulfilment saga would append to take an order to `processed`. */
  const process = async (order: OrderBody) => {
    const now = new Date().toISOString();
    const steps: OrderCommand[] = [
      { type: 'MarkStockReserved', orderId: order.id, now },
      {
        type: 'MarkPaymentCaptured',
        orderId: order.id,
        now,
        paymentId: `ch_${order.id}`,
        amount: Math.round(order.total_price * 100),
      },
      { type: 'MarkProcessed', orderId: order.id, now },
    ];
    for (const command of steps) {
      const result = await handleCommand(h.store, orderDecider, {
        streamName: orderStream(order.id),
        command,
      });
      expect(result._tag).toBe('Right');
    }
  };

  it('shows an order to its owner and admins only; anyone else gets 404', async () => {
    const order = await place(h.customerToken);
    for (const path of [`/orders/${order.id}`, `/orders/${order.id}/history`]) {
      expect((await call(h, h.customerToken, 'get', path)).status).toBe(200);
      expect((await call(h, h.adminToken, 'get', path)).status).toBe(200);
      expect((await call(h, other, 'get', path)).status).toBe(404);
    }
    expect((await call(h, other, 'post', `/orders/${order.id}/cancel`)).status).toBe(404);
    expect((await call(h, other, 'delete', `/orders/${order.id}`)).status).toBe(404);
    expect((await call(h, h.customerToken, 'get', '/orders/not-a-uuid')).status).toBe(404);
    expect(
      (await call(h, h.customerToken, 'get', '/orders/00000000-0000-4000-8000-000000000000'))
        .status,
    ).toBe(404);
    // The other customer's attempts changed nothing.
    expect((await orderEvents(h, order.id)).map((e) => e.event_type)).toEqual(['OrderPlaced']);
  });

  it('lists own orders for a customer and all for an admin, filtered and paginated', async () => {
    const customer = await h.newCustomer();
    const mine = [await place(customer), await place(customer), await place(customer)];
    const theirs = await place(other);
    await call(h, customer, 'post', `/orders/${mine[0]!.id}/cancel`).expect(200);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(
        h,
        customer,
        'get',
        `/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      const page = res.body as { items: OrderBody[]; next_cursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((o) => o.id));
      cursor = page.next_cursor;
    } while (cursor);
    // Newest first, each once, none of anyone else's.
    expect(seen).toEqual(mine.map((o) => o.id).reverse());

    const cancelled = await call(h, customer, 'get', '/orders?status=cancelled');
    expect((cancelled.body as { items: OrderBody[] }).items.map((o) => o.id)).toEqual([
      mine[0]!.id,
    ]);
    const pending = await call(h, customer, 'get', '/orders?status=pending');
    expect((pending.body as { items: OrderBody[] }).items).toHaveLength(2);

    const all = await call(h, h.adminToken, 'get', '/orders?limit=100');
    const ids = (all.body as { items: OrderBody[] }).items.map((o) => o.id);
    expect(ids).toEqual(expect.arrayContaining([...mine.map((o) => o.id), theirs.id]));

    expect((await call(h, customer, 'get', '/orders?status=lost')).status).toBe(400);
    expect((await call(h, customer, 'get', '/orders?limit=0')).status).toBe(400);
    expect((await call(h, customer, 'get', '/orders?cursor=bm9wZQ')).status).toBe(400);
  });

  it('cancels before shipping; a second cancel is a no-op; the log records it', async () => {
    const order = await place(h.customerToken);
    const first = await call(h, h.customerToken, 'post', `/orders/${order.id}/cancel`, {
      reason: 'changed my mind',
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: order.id, status: 'cancelled' });
    const again = await call(h, h.customerToken, 'post', `/orders/${order.id}/cancel`);
    expect(again.status).toBe(200);
    expect((await call(h, h.customerToken, 'delete', `/orders/${order.id}`)).status).toBe(204);

    const events = await orderEvents(h, order.id);
    expect(events.map((e) => e.event_type)).toEqual(['OrderPlaced', 'OrderCancelled']);
    expect(events[1]?.data).toMatchObject({ by: 'customer', reason: 'changed my mind' });

    const history = await call(h, h.customerToken, 'get', `/orders/${order.id}/history`);
    expect(history.body).toEqual({
      items: [
        { status: 'pending', reason: 'order placed', at: expect.any(String) as string },
        {
          status: 'cancelled',
          reason: 'cancelled by customer: changed my mind',
          at: expect.any(String) as string,
        },
      ],
    });
  });

  it('DELETE cancels (204), also by an admin', async () => {
    const order = await place(h.customerToken);
    expect((await call(h, h.adminToken, 'delete', `/orders/${order.id}`)).status).toBe(204);
    const got = await call(h, h.customerToken, 'get', `/orders/${order.id}`);
    expect(got.body).toMatchObject({ status: 'cancelled' });
    const events = await orderEvents(h, order.id);
    expect(events[1]?.data).toMatchObject({ by: 'admin' });
  });

  it('admin ships and delivers a processed order; cancelling after shipping is 409', async () => {
    const order = await place(h.customerToken, 2);
    // Not processed yet: shipping a pending order is an invalid transition.
    const early = await call(h, h.adminToken, 'put', `/orders/${order.id}/status`, {
      status: 'shipped',
    });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'invalid_transition' });

    await process(order);
    const shipped = await call(h, h.adminToken, 'put', `/orders/${order.id}/status`, {
      status: 'shipped',
    });
    expect(shipped.status).toBe(200);
    expect(shipped.body).toMatchObject({ status: 'shipped' });

    const cancel = await call(h, h.customerToken, 'post', `/orders/${order.id}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body).toMatchObject({ code: 'order_not_cancellable' });
    expect((await call(h, h.adminToken, 'delete', `/orders/${order.id}`)).status).toBe(409);

    const delivered = await call(h, h.adminToken, 'put', `/orders/${order.id}/status`, {
      status: 'delivered',
    });
    expect(delivered.body).toMatchObject({ status: 'delivered' });

    const history = await call(h, h.customerToken, 'get', `/orders/${order.id}/history`);
    expect((history.body as { items: { status: string }[] }).items.map((e) => e.status)).toEqual([
      'pending',
      'stock_reserved',
      'paid',
      'processed',
      'shipped',
      'delivered',
    ]);
  });

  it('accepts only shipped and delivered, from an admin', async () => {
    const order = await place(h.customerToken);
    for (const status of ['paid', 'cancelled', 'processed', '']) {
      const res = await call(h, h.adminToken, 'put', `/orders/${order.id}/status`, { status });
      expect(res.status).toBe(400);
    }
    const customer = await call(h, h.customerToken, 'put', `/orders/${order.id}/status`, {
      status: 'shipped',
    });
    expect(customer.status).toBe(403);
    const missing = await call(
      h,
      h.adminToken,
      'put',
      '/orders/00000000-0000-4000-8000-000000000000/status',
      { status: 'shipped' },
    );
    expect(missing.status).toBe(404);
    expect((await orderEvents(h, order.id)).map((e) => e.event_type)).toEqual(['OrderPlaced']);
  });
});
