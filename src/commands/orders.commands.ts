import * as E from 'fp-ts/Either';
import type { Pool } from 'pg';
import {
  orderDecider,
  type OrderCommand,
  type OrderError,
  type OrderState,
} from '../domain/orders/order.decider';
import {
  orderStream,
  type OrderEvent,
  type PaymentSummary,
  type ShippingAddress,
} from '../domain/orders/order.events';
import { evolveOrder, initialOrderState } from '../domain/orders/order.state';
import type { EventStore } from '../eventstore';
import { listAddresses } from '../identity/users';
import { Batcher, batcherPer } from '../infra/batcher';
import { deleteInBatches } from '../infra/housekeeping';
import { orderStateCache } from './stream-caches';
import { handleCommand, uuidV5, type CommandMetadata, type CommandResult } from './command-handler';

export interface OrderCommandDeps {
  store: EventStore;
  /** The catalog and identity tables, and the placement's own (keys, payment tokens). */
  pool: Pool;
}

/** A bad field, named as the API names it (`body.items[0].product_id`). */
export interface OrderFieldError {
  field: string;
  message: string;
}

/** Refusals found before the decider runs: the catalog and the address book say no. */
export type PlacementError =
  | { code: 'ORDER_UNPROCESSABLE'; errors: OrderFieldError[] }
  | {
      code: 'PRICE_CHANGED';
      lines: { index: number; productId: string; price: number; catalogPrice: number }[];
    }
  | { code: 'IDEMPOTENCY_KEY_REUSED' };

export interface OrderLineRequest {
  productId: string;
  quantity: number;
  /** The price the client saw, minor units; checked against the catalog, never used. */
  price?: number;
}

export interface PreparedOrder {
  items: { productId: string; quantity: number; unitPrice: number }[];
  currency: string;
  shippingAddress: ShippingAddress;
}

type Address = { addressId: string } | { shippingAddress: ShippingAddress };

type CatalogPrice = { id: string; price_minor: string; currency: string };

// Concurrent placements price their lines in one query: each gets the live products it asked for.
const priceReaders = batcherPer(
  (pool: Pool) =>
    new Batcher<readonly string[], Map<string, CatalogPrice>>(async (asks) => {
      const { rows } = await pool.query<CatalogPrice>({
        name: 'orders_catalog_prices',
        text: 'SELECT id, price_minor, currency FROM products WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL',
        values: [[...new Set(asks.flat())]],
      });
      const found = new Map(rows.map((r) => [r.id, r]));
      return asks.map(
        (ids) => new Map(ids.flatMap((id) => (found.has(id) ? [[id, found.get(id)!]] : []))),
      );
    }),
);

/**
 * Prices the lines from the catalog (live products only) and resolves the address (one the
 * user owns). Every unknown product and a foreign address are named together (422); only
 * when all are known is a client `price` compared with the catalog's (409 `price_changed`).
 */
export async function prepareOrder(
  pool: Pool,
  userId: string,
  lines: readonly OrderLineRequest[],
  address: Address,
): Promise<E.Either<PlacementError, PreparedOrder>> {
  const catalog = await priceReaders(pool).call(lines.map((l) => l.productId));
  const rows = [...catalog.values()];
  const errors: OrderFieldError[] = [];
  lines.forEach((l, i) => {
    if (!catalog.has(l.productId))
      errors.push({ field: `body.items[${i}].product_id`, message: 'no such product' });
  });
  const currency = rows[0]?.currency ?? 'USD';
  lines.forEach((l, i) => {
    const product = catalog.get(l.productId);
    if (product && product.currency !== currency)
      errors.push({
        field: `body.items[${i}].product_id`,
        message: `is priced in ${product.currency}; one order takes one currency`,
      });
  });
  let shippingAddress: ShippingAddress | undefined;
  if ('addressId' in address) {
    const owned = (await listAddresses(pool, userId)).find((a) => a.id === address.addressId);
    if (!owned) errors.push({ field: 'body.address_id', message: 'no such address of yours' });
    else
      shippingAddress = {
        line1: owned.line1,
        ...(owned.line2 !== null && { line2: owned.line2 }),
        city: owned.city,
        state: owned.state,
        postal_code: owned.postalCode,
        country: owned.country,
      };
  } else {
    shippingAddress = address.shippingAddress;
  }
  if (errors.length > 0 || !shippingAddress) return E.left({ code: 'ORDER_UNPROCESSABLE', errors });

  const items = lines.map((l) => ({
    productId: l.productId,
    quantity: l.quantity,
    unitPrice: Number(catalog.get(l.productId)?.price_minor),
  }));
  const changed = lines.flatMap((l, i) =>
    l.price !== undefined && l.price !== items[i]?.unitPrice
      ? [
          {
            index: i,
            productId: l.productId,
            price: l.price,
            catalogPrice: items[i]?.unitPrice ?? 0,
          },
        ]
      : [],
  );
  if (changed.length > 0) return E.left({ code: 'PRICE_CHANGED', lines: changed });
  return E.right({ items, currency, shippingAddress });
}

// A random v4, fixed forever: order ids derived from idempotency keys depend on it.
const idempotentOrderNamespace = '5b0f4f3e-7c1a-4e59-a0d2-6f1e9c3b8a47';

/** The order id an `Idempotency-Key` stands for: racing requests converge on one stream. */
export const orderIdForKey = (userId: string, key: string): string =>
  uuidV5(idempotentOrderNamespace, `${userId}\n${key}`);

/**
 * Claims the user's idempotency key for a request with this `fingerprint`, before anything
 * is placed. `claimed`: this request is the first. `repeat`: the same request came before
 * (it may have finished, or be running right now: placing again converges, the order id
 * and the event ids being derived from the key). `conflict`: the key went with another body.
 */
export async function claimIdempotencyKey(
  pool: Pool,
  userId: string,
  key: string,
  fingerprint: string,
): Promise<'claimed' | 'repeat' | 'conflict'> {
  const orderId = orderIdForKey(userId, key);
  const inserted = await pool.query(
    `INSERT INTO order_idempotency_keys (user_id, key, fingerprint, order_id)
     VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, key) DO NOTHING`,
    [userId, key, fingerprint, orderId],
  );
  if (inserted.rowCount === 1) return 'claimed';
  const { rows } = await pool.query<{ fingerprint: string }>(
    'SELECT fingerprint FROM order_idempotency_keys WHERE user_id = $1 AND key = $2',
    [userId, key],
  );
  return rows[0]?.fingerprint === fingerprint ? 'repeat' : 'conflict';
}

/**
 * Deletes idempotency keys claimed more than `retentionHours` ago, `batchSize` rows per
 * statement (short locks on a large table), and returns how many went. A key is only a
 * shortcut once its order exists: the order id and the event ids derive from the key, so a
 * request repeated after its key was pruned still meets its own order, not a second one.
 */
export async function pruneIdempotencyKeys(
  pool: Pool,
  retentionHours: number,
  batchSize = 5_000,
): Promise<number> {
  const stale = `SELECT ctid FROM order_idempotency_keys
     WHERE created_at < now() - make_interval(hours => $1)`;
  return deleteInBatches(pool, 'order_idempotency_keys', stale, [retentionHours], batchSize);
}

// Concurrent placements store their tokens in one statement.
const tokenWriters = batcherPer(
  (pool: Pool) =>
    new Batcher<{ orderId: string; token: string }, void>(async (tokens) => {
      await pool.query({
        name: 'orders_payment_tokens_insert',
        text: `INSERT INTO order_payment_tokens (order_id, token)
         SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT (order_id) DO NOTHING`,
        values: [tokens.map((t) => t.orderId), tokens.map((t) => t.token)],
      });
      return tokens.map(() => undefined);
    }),
);

export interface PlaceOrderRequest extends PreparedOrder {
  orderId: string;
  userId: string;
  payment: PaymentSummary;
  /** The gateway token the saga charges; kept in `order_payment_tokens`, never in an event. */
  paymentToken: string;
  now: string;
}

/**
 * Appends OrderPlaced. The token is stored first, so the saga finds it whenever it sees the
 * order. The command id is derived from the order id: placing the same order again (a
 * retry, a race on one idempotency key) recognises its own events and writes nothing.
 */
export async function placeOrder(
  deps: OrderCommandDeps,
  req: PlaceOrderRequest,
  metadata: CommandMetadata,
): Promise<E.Either<OrderError, CommandResult<OrderEvent>>> {
  await tokenWriters(deps.pool).call({ orderId: req.orderId, token: req.paymentToken });
  const { paymentToken: _token, ...input } = req;
  return handleCommand(deps.store, orderDecider, {
    streamName: orderStream(req.orderId),
    command: { type: 'PlaceOrder', ...input },
    commandId: `place-order:${req.orderId}`,
    metadata,
    // The id is new or derived from an idempotency key: no read before the append, and the
    // fulfilment process in this process finds the placed order in the shared cache.
    cache: orderStateCache(deps.store),
    fresh: true,
  });
}

/** The order as its stream tells (the write side's truth, for who may touch it). */
export async function loadOrder(store: EventStore, orderId: string): Promise<OrderState> {
  const recorded = await store.readStream(orderStream(orderId));
  return recorded.reduce(
    (s, e) => evolveOrder(s, { type: e.type, data: e.data } as OrderEvent),
    initialOrderState,
  );
}

type OrderMove =
  | { type: 'CancelOrder'; reason: string; by: 'customer' | 'admin' }
  | { type: 'ShipOrder' }
  | { type: 'DeliverOrder' };

/** Cancels, ships or delivers an order. A repeat decides nothing and succeeds. */
export function moveOrder(
  deps: OrderCommandDeps,
  orderId: string,
  move: OrderMove,
  metadata: CommandMetadata,
): Promise<E.Either<OrderError, CommandResult<OrderEvent>>> {
  const command: OrderCommand = { ...move, orderId, now: new Date().toISOString() };
  return handleCommand(deps.store, orderDecider, {
    streamName: orderStream(orderId),
    command,
    metadata,
  });
}
