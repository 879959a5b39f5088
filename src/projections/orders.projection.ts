import type { PoolClient } from 'pg';
import { orderHistoryEntry } from '../domain/orders/order.history';
import { OrderEvent } from '../domain/orders/order.events';
import type { RecordedEvent } from '../eventstore';
import { decodeRecorded, type ProjectionDefinition } from './projection';

/**
 * The orders read model: `orders` (one row per order with its current status, total, address,
 * payment summary and failure reason), `order_items` (its lines, catalog prices) and
 * `order_history` (the order log: one row per status change, from `orderHistoryEntry`).
 *
 * `last_position` guards each order row and `order_history` is keyed by the event's global
 * position, so an event applied twice (a replay) changes nothing.
 */
export const ORDERS_PROJECTION = 'orders';

const schema = `
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  status text NOT NULL,
  total_minor bigint NOT NULL,
  currency text NOT NULL,
  shipping_address jsonb NOT NULL,
  payment_method text NOT NULL,
  payment_brand text,
  payment_last4 text,
  failure_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  last_position bigint NOT NULL
);
-- The listings' order, newest first: a customer's own orders, and everyone's (admin).
CREATE INDEX orders_user_order_idx ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_order_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC, id DESC);

CREATE TABLE order_items (
  order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line_no integer NOT NULL,
  product_id uuid NOT NULL,
  quantity integer NOT NULL,
  unit_price_minor bigint NOT NULL,
  line_total_minor bigint NOT NULL,
  PRIMARY KEY (order_id, line_no)
);

CREATE TABLE order_history (
  order_id uuid NOT NULL,
  position bigint NOT NULL,
  status text NOT NULL,
  reason text,
  at timestamptz NOT NULL,
  PRIMARY KEY (order_id, position)
);
`;

const orderTypes = OrderEvent.types.map((codec) => codec.props.type.value);

export const ordersProjection: ProjectionDefinition = {
  kind: 'projection',
  name: ORDERS_PROJECTION,
  filter: { streamPrefixes: ['order-'], eventTypes: orderTypes },
  migrations: {
    component: 'projection:orders',
    migrations: [{ version: 1, name: 'orders, order_items, order_history', sql: schema }],
  },
  tables: ['order_history', 'order_items', 'orders'],
  async handle(events, tx) {
    for (const recorded of events) await apply(tx, decodeRecorded(OrderEvent, recorded), recorded);
  },
};

async function apply(tx: PoolClient, event: OrderEvent, recorded: RecordedEvent): Promise<void> {
  const position = recorded.position.toString();
  const { orderId, at } = event.data;
  if (event.type === 'OrderPlaced') {
    const d = event.data;
    const inserted = await tx.query(
      `INSERT INTO orders (id, user_id, status, total_minor, currency, shipping_address,
                           payment_method, payment_brand, payment_last4, created_at, updated_at,
                           last_position)
       VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $9, $10)
       ON CONFLICT (id) DO NOTHING`,
      [
        orderId,
        d.userId,
        d.totalPrice,
        d.currency,
        JSON.stringify(d.shippingAddress),
        d.payment.method,
        d.payment.brand ?? null,
        d.payment.last4 ?? null,
        at,
        position,
      ],
    );
    if (inserted.rowCount === 1) {
      await tx.query(
        `INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_minor,
                                  line_total_minor)
         SELECT $1, o::int, p, q, u, l
           FROM unnest($2::uuid[], $3::int[], $4::bigint[], $5::bigint[])
                WITH ORDINALITY AS x(p, q, u, l, o)
         ON CONFLICT DO NOTHING`,
        [
          orderId,
          d.items.map((i) => i.productId),
          d.items.map((i) => i.quantity),
          d.items.map((i) => i.unitPrice),
          d.items.map((i) => i.lineTotal),
        ],
      );
    }
  } else {
    const entry = orderHistoryEntry(event);
    const failureReason = event.type === 'OrderFailed' ? event.data.reason : null;
    // Events that change no status still move the guard, so a replay skips them too.
    await tx.query(
      `UPDATE orders SET status = COALESCE($3, status),
              failure_reason = COALESCE($4, failure_reason),
              updated_at = CASE WHEN $3::text IS NULL THEN updated_at ELSE $5::timestamptz END,
              last_position = $2
        WHERE id = $1 AND last_position < $2`,
      [orderId, position, entry?.status ?? null, failureReason, at],
    );
  }
  const entry = orderHistoryEntry(event);
  if (entry) {
    await tx.query(
      `INSERT INTO order_history (order_id, position, status, reason, at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [orderId, position, entry.status, entry.reason, entry.at],
    );
  }
}
