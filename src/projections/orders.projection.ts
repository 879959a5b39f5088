import { type BatchStatement, handleWithStatement } from '../consumers';
import { type OrderHistoryEntry, orderHistoryEntry } from '../domain/orders/order.history';
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
    migrations: [
      { version: 1, name: 'orders, order_items, order_history', sql: schema },
      // The projection alone writes these tables, an order's lines in the statement that
      // inserts the order; the key check cost a row lock per line.
      {
        version: 2,
        name: 'order_items without the foreign key',
        sql: 'ALTER TABLE order_items DROP CONSTRAINT order_items_order_id_fkey',
      },
    ],
  },
  tables: ['order_history', 'order_items', 'orders'],
  batchStatement,
  handle: handleWithStatement(batchStatement),
};

/** An order placed in the batch, as the batch leaves it. */
interface PlacedRow {
  event: Placed;
  status: string;
  failure: string | null;
  updatedAt: string;
  lastPosition: string;
}

/** Where the batch's later events (all but OrderPlaced) leave an order. */
interface Move {
  from: string;
  to: string;
  status: string | null;
  failure: string | null;
  at: string | null;
}

type Placed = Extract<OrderEvent, { type: 'OrderPlaced' }>;

/**
 * The batch in one statement whatever its size, folded first (the statement's parts share
 * one snapshot, so none sees what another writes):
 *
 *   placed  the orders placed in the batch, inserted as the batch leaves them, and their
 *           lines (only for orders this statement inserted: a replayed OrderPlaced adds none)
 *   moved   every other order the batch touched, moved to where its last event leaves it.
 *           Orders placed in the batch are in it too: a replay finds their rows there. Events
 *           that change no status still move `last_position`, the replay guard: an order
 *           already past the batch's first event for it is left alone
 *   logged  the order log, one row per status change, keyed by the event's position
 */
function batchStatement(events: readonly RecordedEvent[]): BatchStatement {
  const placed = new Map<string, PlacedRow>();
  const moves = new Map<string, Move>();
  const history: (OrderHistoryEntry & { orderId: string; position: string })[] = [];
  for (const recorded of events) {
    const event = decodeRecorded(OrderEvent, recorded);
    const position = recorded.position.toString();
    const entry = orderHistoryEntry(event);
    if (entry) history.push({ orderId: event.data.orderId, position, ...entry });
    if (event.type === 'OrderPlaced') {
      placed.set(event.data.orderId, {
        event,
        status: 'pending',
        failure: null,
        updatedAt: event.data.at,
        lastPosition: position,
      });
      continue;
    }
    const failure = event.type === 'OrderFailed' ? event.data.reason : null;
    const move = moves.get(event.data.orderId);
    if (move) {
      move.to = position;
      if (entry) Object.assign(move, { status: entry.status, at: entry.at });
      if (failure !== null) move.failure = failure;
    } else {
      moves.set(event.data.orderId, {
        from: position,
        to: position,
        status: entry?.status ?? null,
        failure,
        at: entry?.at ?? null,
      });
    }
    const row = placed.get(event.data.orderId);
    if (row) {
      row.lastPosition = position;
      if (entry) Object.assign(row, { status: entry.status, updatedAt: entry.at });
      if (failure !== null) row.failure = failure;
    }
  }
  const rows = [...placed.values()];
  const lines = rows.flatMap(({ event: { data } }) =>
    data.items.map((item, i) => ({ orderId: data.orderId, lineNo: i + 1, ...item })),
  );
  const moved = [...moves];
  return {
    ctes: BATCH_CTES,
    values: [
      rows.map((r) => r.event.data.orderId),
      rows.map((r) => r.event.data.userId),
      rows.map((r) => r.status),
      rows.map((r) => r.event.data.totalPrice),
      rows.map((r) => r.event.data.currency),
      rows.map((r) => JSON.stringify(r.event.data.shippingAddress)),
      rows.map((r) => r.event.data.payment.method),
      rows.map((r) => r.event.data.payment.brand ?? null),
      rows.map((r) => r.event.data.payment.last4 ?? null),
      rows.map((r) => r.failure),
      rows.map((r) => r.event.data.at),
      rows.map((r) => r.updatedAt),
      rows.map((r) => r.lastPosition),
      lines.map((l) => l.orderId),
      lines.map((l) => l.lineNo),
      lines.map((l) => l.productId),
      lines.map((l) => l.quantity),
      lines.map((l) => l.unitPrice),
      lines.map((l) => l.lineTotal),
      moved.map(([id]) => id),
      moved.map(([, m]) => m.from),
      moved.map(([, m]) => m.to),
      moved.map(([, m]) => m.status),
      moved.map(([, m]) => m.failure),
      moved.map(([, m]) => m.at),
      history.map((e) => e.orderId),
      history.map((e) => e.position),
      history.map((e) => e.status),
      history.map((e) => e.reason),
      history.map((e) => e.at),
    ],
  };
}

const BATCH_CTES = `
  placed AS (
    INSERT INTO orders (id, user_id, status, total_minor, currency, shipping_address,
                        payment_method, payment_brand, payment_last4, failure_reason,
                        created_at, updated_at, last_position)
    SELECT o.id, o.user_id, o.status, o.total, o.currency, o.address::jsonb, o.method,
           o.brand, o.last4, o.failure, o.created_at, o.updated_at, o.position
      FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                  $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[],
                  $12::timestamptz[], $13::bigint[])
           AS o(id, user_id, status, total, currency, address, method, brand, last4, failure,
                created_at, updated_at, position)
    ON CONFLICT (id) DO NOTHING
    RETURNING id),
  placed_items AS (
    INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_minor,
                             line_total_minor)
    SELECT l.order_id, l.line_no, l.product_id, l.quantity, l.unit_price, l.line_total
      FROM unnest($14::uuid[], $15::int[], $16::uuid[], $17::int[], $18::bigint[],
                  $19::bigint[])
           AS l(order_id, line_no, product_id, quantity, unit_price, line_total)
     WHERE l.order_id IN (SELECT id FROM placed)
    ON CONFLICT DO NOTHING),
  moved AS (
    UPDATE orders o
       SET status = COALESCE(u.status, o.status),
           failure_reason = COALESCE(u.failure, o.failure_reason),
           updated_at = COALESCE(u.at, o.updated_at),
           last_position = u.to_position
      FROM unnest($20::uuid[], $21::bigint[], $22::bigint[], $23::text[], $24::text[],
                  $25::timestamptz[]) AS u(id, from_position, to_position, status, failure, at)
     WHERE o.id = u.id AND o.last_position < u.from_position),
  logged AS (
    INSERT INTO order_history (order_id, position, status, reason, at)
    SELECT * FROM unnest($26::uuid[], $27::bigint[], $28::text[], $29::text[],
                         $30::timestamptz[])
    ON CONFLICT DO NOTHING)`;
