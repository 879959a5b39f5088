import type { Pool } from 'pg';
import { Batcher, batcherPer } from '../infra/batcher';
import type { OrderHistoryEntry } from '../domain/orders/order.history';
import type { ShippingAddress } from '../domain/orders/order.events';
import type { OrderStatus } from '../domain/orders/order.state';
import type { OrderKey } from './orders.codecs';

/** An order as the read model holds it; money in integer minor units. */
export interface OrderView {
  id: string;
  userId: string;
  status: OrderStatus;
  items: { productId: string; quantity: number; unitPrice: number; lineTotal: number }[];
  totalPrice: number;
  currency: string;
  shippingAddress: ShippingAddress;
  payment: { method: string; brand: string | null; last4: string | null };
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrderFilter {
  /** Only this user's orders; absent: everyone's (an admin). */
  userId?: string;
  status?: OrderStatus;
  limit: number;
  after?: OrderKey;
}

interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  total_minor: string;
  currency: string;
  shipping_address: ShippingAddress;
  payment_method: string;
  payment_brand: string | null;
  payment_last4: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  items: { product_id: string; quantity: number; unit_price: number; line_total: number }[];
}

const SELECT_ORDER = `
SELECT o.id, o.user_id, o.status, o.total_minor, o.currency, o.shipping_address,
       o.payment_method, o.payment_brand, o.payment_last4, o.failure_reason,
       o.created_at, o.updated_at,
       COALESCE((SELECT json_agg(json_build_object(
                   'product_id', i.product_id, 'quantity', i.quantity,
                   'unit_price', i.unit_price_minor, 'line_total', i.line_total_minor)
                   ORDER BY i.line_no)
                  FROM order_items i WHERE i.order_id = o.id), '[]') AS items
  FROM orders o`;

const toView = (r: OrderRow): OrderView => ({
  id: r.id,
  userId: r.user_id,
  status: r.status,
  items: r.items.map((i) => ({
    productId: i.product_id,
    quantity: Number(i.quantity),
    unitPrice: Number(i.unit_price),
    lineTotal: Number(i.line_total),
  })),
  totalPrice: Number(r.total_minor),
  currency: r.currency,
  shippingAddress: r.shipping_address,
  payment: { method: r.payment_method, brand: r.payment_brand, last4: r.payment_last4 },
  failureReason: r.failure_reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

// Concurrent requests for single orders (every placement answers with one) share a query.
const orderReaders = batcherPer(
  (db: Pool) =>
    new Batcher<string, OrderView | undefined>(async (ids) => {
      const { rows } = await db.query<OrderRow>({
        name: 'orders_by_id',
        text: `${SELECT_ORDER} WHERE o.id = ANY($1::uuid[])`,
        values: [ids],
      });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => {
        const row = byId.get(id);
        return row && toView(row);
      });
    }),
);

export function getOrder(db: Pool, id: string): Promise<OrderView | undefined> {
  return orderReaders(db).call(id);
}

/**
 * One page of orders, newest first (created_at, id descending), filtered; `next` is the key
 * to continue after, absent on the last page. Keyset pagination: an order placed while a
 * client pages sorts before the first page, so no page skips or repeats one.
 */
export async function listOrders(
  db: Pool,
  f: OrderFilter,
): Promise<{ items: OrderView[]; next?: OrderKey }> {
  const { rows } = await db.query<OrderRow>(
    `${SELECT_ORDER}
      WHERE ($1::uuid IS NULL OR o.user_id = $1)
        AND ($2::text IS NULL OR o.status = $2)
        AND ($3::timestamptz IS NULL OR (o.created_at, o.id) < ($3, $4::uuid))
      ORDER BY o.created_at DESC, o.id DESC
      LIMIT $5`,
    [
      f.userId ?? null,
      f.status ?? null,
      f.after?.createdAt ?? null,
      f.after?.id ?? null,
      f.limit + 1,
    ],
  );
  const items = rows.slice(0, f.limit).map(toView);
  const last = items.at(-1);
  return rows.length > f.limit && last
    ? { items, next: { createdAt: last.createdAt.toISOString(), id: last.id } }
    : { items };
}

/** The order log, oldest first. */
export async function orderHistory(db: Pool, orderId: string): Promise<OrderHistoryEntry[]> {
  const { rows } = await db.query<{ status: OrderStatus; reason: string | null; at: Date }>(
    'SELECT status, reason, at FROM order_history WHERE order_id = $1 ORDER BY position',
    [orderId],
  );
  return rows.map((r) => ({ status: r.status, reason: r.reason, at: r.at.toISOString() }));
}
