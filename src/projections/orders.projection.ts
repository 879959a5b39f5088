import type { PoolClient } from 'pg';
import { orderHistoryEntry } from '../domain/orders/order.history';
import { OrderEvent } from '../domain/orders/order.events';
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
    const batch = events.map((recorded) => ({
      event: decodeRecorded(OrderEvent, recorded),
      position: recorded.position.toString(),
    }));
    await insertPlaced(tx, batch);
    await updateStatuses(tx, batch);
    await insertHistory(tx, batch);
  },
};

type Applied = { event: OrderEvent; position: string };
type Placed = Extract<OrderEvent, { type: 'OrderPlaced' }>;

/**
 * A batch in three statements whatever its size: the placed orders with their lines, every
 * other order's status (one update per order, to where the batch leaves it), and the log.
 */
async function insertPlaced(tx: PoolClient, batch: readonly Applied[]): Promise<void> {
  const placed = batch.filter((a): a is { event: Placed; position: string } => {
    return a.event.type === 'OrderPlaced';
  });
  if (placed.length === 0) return;
  const lines = placed.flatMap(({ event: { data } }) =>
    data.items.map((item, i) => ({ orderId: data.orderId, lineNo: i + 1, ...item })),
  );
  // The lines go in only for orders this statement inserted: a replayed OrderPlaced adds none.
  await tx.query(
    `WITH placed AS (
       INSERT INTO orders (id, user_id, status, total_minor, currency, shipping_address,
                           payment_method, payment_brand, payment_last4, created_at, updated_at,
                           last_position)
       SELECT o.id, o.user_id, 'pending', o.total, o.currency, o.address::jsonb, o.method,
              o.brand, o.last4, o.at, o.at, o.position
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::timestamptz[], $10::bigint[])
              AS o(id, user_id, total, currency, address, method, brand, last4, at, position)
       ON CONFLICT (id) DO NOTHING
       RETURNING id)
     INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_minor,
                              line_total_minor)
     SELECT l.order_id, l.line_no, l.product_id, l.quantity, l.unit_price, l.line_total
       FROM unnest($11::uuid[], $12::int[], $13::uuid[], $14::int[], $15::bigint[],
                   $16::bigint[])
            AS l(order_id, line_no, product_id, quantity, unit_price, line_total)
      WHERE l.order_id IN (SELECT id FROM placed)
     ON CONFLICT DO NOTHING`,
    [
      placed.map((p) => p.event.data.orderId),
      placed.map((p) => p.event.data.userId),
      placed.map((p) => p.event.data.totalPrice),
      placed.map((p) => p.event.data.currency),
      placed.map((p) => JSON.stringify(p.event.data.shippingAddress)),
      placed.map((p) => p.event.data.payment.method),
      placed.map((p) => p.event.data.payment.brand ?? null),
      placed.map((p) => p.event.data.payment.last4 ?? null),
      placed.map((p) => p.event.data.at),
      placed.map((p) => p.position),
      lines.map((l) => l.orderId),
      lines.map((l) => l.lineNo),
      lines.map((l) => l.productId),
      lines.map((l) => l.quantity),
      lines.map((l) => l.unitPrice),
      lines.map((l) => l.lineTotal),
    ],
  );
}

/**
 * Moves each order the batch touched (other than by OrderPlaced) to where its last event
 * leaves it. Events that change no status still move `last_position`, the replay guard: an
 * order already past the batch's first event for it is left alone.
 */
async function updateStatuses(tx: PoolClient, batch: readonly Applied[]): Promise<void> {
  const orders = new Map<
    string,
    { from: string; to: string; status: string | null; failure: string | null; at: string | null }
  >();
  for (const { event, position } of batch) {
    if (event.type === 'OrderPlaced') continue;
    const { orderId } = event.data;
    const order = orders.get(orderId) ?? {
      from: position,
      to: position,
      status: null,
      failure: null,
      at: null,
    };
    order.to = position;
    const entry = orderHistoryEntry(event);
    if (entry) {
      order.status = entry.status;
      order.at = entry.at;
    }
    if (event.type === 'OrderFailed') order.failure = event.data.reason;
    orders.set(orderId, order);
  }
  if (orders.size === 0) return;
  const rows = [...orders];
  await tx.query(
    `UPDATE orders o
        SET status = COALESCE(u.status, o.status),
            failure_reason = COALESCE(u.failure, o.failure_reason),
            updated_at = COALESCE(u.at, o.updated_at),
            last_position = u.to_position
       FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::text[],
                   $6::timestamptz[]) AS u(id, from_position, to_position, status, failure, at)
      WHERE o.id = u.id AND o.last_position < u.from_position`,
    [
      rows.map(([id]) => id),
      rows.map(([, o]) => o.from),
      rows.map(([, o]) => o.to),
      rows.map(([, o]) => o.status),
      rows.map(([, o]) => o.failure),
      rows.map(([, o]) => o.at),
    ],
  );
}

/** The order log: one row per status change, keyed by the event's position. */
async function insertHistory(tx: PoolClient, batch: readonly Applied[]): Promise<void> {
  const entries = batch.flatMap(({ event, position }) => {
    const entry = orderHistoryEntry(event);
    return entry ? [{ orderId: event.data.orderId, position, ...entry }] : [];
  });
  if (entries.length === 0) return;
  await tx.query(
    `INSERT INTO order_history (order_id, position, status, reason, at)
     SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[])
     ON CONFLICT DO NOTHING`,
    [
      entries.map((e) => e.orderId),
      entries.map((e) => e.position),
      entries.map((e) => e.status),
      entries.map((e) => e.reason),
      entries.map((e) => e.at),
    ],
  );
}
