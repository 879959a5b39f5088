import * as t from 'io-ts';
import type { PoolClient } from 'pg';
import { assertNever } from '../domain/decider';
import { ProductDeleted, ProductUpdated } from '../domain/catalog/product.events';
import { InventoryEvent } from '../domain/inventory/inventory.events';
import { NOT_ONE_STATEMENT, type BatchStatement } from '../consumers';
import type { RecordedEvent } from '../eventstore';
import { decodeRecorded, type ProjectionDefinition } from './projection';

/**
 * Stock per product: `inventory` with `available` and `low_stock` computed by PostgreSQL
 * from the quantities, so they can never disagree with them. It also follows the product's
 * SKU changes and deletion (`discontinued`: hidden from queries, kept for the history).
 *
 * `last_position` guards each row: an event at or below it was applied already.
 */
export const INVENTORY_PROJECTION = 'inventory';

const Event = t.union([InventoryEvent, ProductUpdated, ProductDeleted]);
type Event = t.TypeOf<typeof Event>;

const schema = `
CREATE TABLE inventory (
  product_id uuid PRIMARY KEY,
  sku text NOT NULL,
  on_hand bigint NOT NULL,
  reserved bigint NOT NULL,
  available bigint GENERATED ALWAYS AS (on_hand - reserved) STORED,
  reorder_threshold bigint NOT NULL,
  low_stock boolean GENERATED ALWAYS AS (on_hand - reserved < reorder_threshold) STORED,
  discontinued boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL,
  last_position bigint NOT NULL
);
CREATE INDEX inventory_low_stock_idx ON inventory (product_id) WHERE low_stock AND NOT discontinued;
`;

const inventoryTypes = InventoryEvent.types.map((codec) => codec.props.type.value);

export const inventoryProjection: ProjectionDefinition = {
  kind: 'projection',
  name: INVENTORY_PROJECTION,
  filter: {
    streamPrefixes: ['inventory-', 'product-'],
    eventTypes: [...inventoryTypes, 'ProductUpdated', 'ProductDeleted'],
  },
  migrations: {
    component: 'projection:inventory',
    migrations: [{ version: 1, name: 'inventory', sql: schema }],
  },
  tables: ['inventory'],
  async handle(events, tx) {
    // Quantity moves (reserve, release, commit, adjust) of a run of events are summed per
    // product and written in one statement; anything else is applied in its place.
    const moves = new QuantityMoves();
    for (const recorded of events) {
      const event = decodeRecorded(Event, recorded);
      if (moves.add(event, recorded.position)) continue;
      await moves.flush(tx);
      await apply(tx, event, recorded);
    }
    await moves.flush(tx);
  },
  batchStatement,
};

/**
 * A batch of nothing but quantity moves and events that change nothing here (what orders
 * make) as one statement, which the runner sends with the checkpoint's move folded in: one
 * round trip instead of BEGIN, the moves, the checkpoint and COMMIT. Any other batch is
 * written by `handle`.
 */
function batchStatement(
  events: readonly RecordedEvent[],
): BatchStatement | undefined | typeof NOT_ONE_STATEMENT {
  const moves = new QuantityMoves();
  for (const recorded of events) {
    const event = decodeRecorded(Event, recorded);
    if (moves.add(event, recorded.position) || changesNothing(event)) continue;
    return NOT_ONE_STATEMENT;
  }
  const values = moves.take();
  return values && { ctes: `quantity_moves AS (${QUANTITY_MOVES})`, values };
}

const changesNothing = (event: Event): boolean =>
  event.type === 'StockReservationRejected' || event.type === 'LowStock';

/** The summed moves `$1`-`$6` applied to each row not already past its run's first event. */
const QUANTITY_MOVES = `UPDATE inventory i
    SET on_hand = i.on_hand + m.on_hand, reserved = i.reserved + m.reserved,
        updated_at = m.at, last_position = m.to_position
   FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],
               $6::timestamptz[]) AS m(product_id, from_position, to_position, on_hand,
                                       reserved, at)
  WHERE i.product_id = m.product_id AND i.last_position < m.from_position`;

interface Move {
  from: bigint;
  to: bigint;
  onHand: number;
  reserved: number;
  at: string;
}

/** The net quantity change per product over a run of events. */
class QuantityMoves {
  private readonly byProduct = new Map<string, Move>();

  /** Takes a quantity event into the sums; false for any other event. */
  add(event: Event, position: bigint): boolean {
    let change: { productId: string; onHand: number; reserved: number; at: string };
    switch (event.type) {
      case 'StockAdjusted':
        change = { ...event.data, onHand: event.data.adjustment, reserved: 0 };
        break;
      case 'StockReserved':
        change = { ...event.data, onHand: 0, reserved: event.data.quantity };
        break;
      case 'StockReleased':
        change = { ...event.data, onHand: 0, reserved: -event.data.quantity };
        break;
      case 'StockCommitted':
        change = { ...event.data, onHand: -event.data.quantity, reserved: -event.data.quantity };
        break;
      default:
        return false;
    }
    const move = this.byProduct.get(change.productId) ?? {
      from: position,
      to: position,
      onHand: 0,
      reserved: 0,
      at: change.at,
    };
    move.to = position;
    move.onHand += change.onHand;
    move.reserved += change.reserved;
    move.at = change.at;
    this.byProduct.set(change.productId, move);
    return true;
  }

  /** Writes the sums (a row already past a run's first event is left alone) and clears them. */
  async flush(tx: PoolClient): Promise<void> {
    const values = this.take();
    if (values) await tx.query({ name: 'inventory_quantity_moves', text: QUANTITY_MOVES, values });
  }

  /** The sums as `QUANTITY_MOVES`' parameters (undefined when there are none), and clears them. */
  take(): unknown[] | undefined {
    if (this.byProduct.size === 0) return undefined;
    const moves = [...this.byProduct];
    this.byProduct.clear();
    return [
      moves.map(([productId]) => productId),
      moves.map(([, m]) => m.from.toString()),
      moves.map(([, m]) => m.to.toString()),
      moves.map(([, m]) => m.onHand),
      moves.map(([, m]) => m.reserved),
      moves.map(([, m]) => m.at),
    ];
  }
}

/**
 * Applies `set` to the product's row unless the event was applied already. Parameters:
 * `$1` the product id, `$2` the event's position, then `values` from `$3`.
 */
async function update(
  tx: PoolClient,
  productId: string,
  recorded: RecordedEvent,
  set: string,
  values: unknown[],
): Promise<void> {
  await tx.query(
    `UPDATE inventory SET ${set}, last_position = $2
      WHERE product_id = $1 AND last_position < $2`,
    [productId, recorded.position.toString(), ...values],
  );
}

async function apply(tx: PoolClient, event: Event, recorded: RecordedEvent): Promise<void> {
  const position = recorded.position.toString();
  switch (event.type) {
    case 'ReorderThresholdChanged':
    case 'StockReceived': {
      // The first event of a stream creates the row (the threshold comes first, the SKU with
      // the first receipt); later ones add to it.
      const d = event.data;
      const received = event.type === 'StockReceived' ? event.data.quantity : 0;
      const sku = event.type === 'StockReceived' ? event.data.sku : '';
      const threshold = event.type === 'ReorderThresholdChanged' ? event.data.threshold : null;
      await tx.query(
        `INSERT INTO inventory AS i (product_id, sku, on_hand, reserved, reorder_threshold,
                                     updated_at, last_position)
         VALUES ($1, $2, $3, 0, COALESCE($4, 0), $5, $6)
         ON CONFLICT (product_id) DO UPDATE
            SET on_hand = i.on_hand + EXCLUDED.on_hand,
                sku = CASE WHEN i.sku = '' THEN EXCLUDED.sku ELSE i.sku END,
                reorder_threshold = COALESCE($4, i.reorder_threshold),
                updated_at = EXCLUDED.updated_at, last_position = EXCLUDED.last_position
          WHERE i.last_position < EXCLUDED.last_position`,
        [d.productId, sku, received, threshold, d.at, position],
      );
      return;
    }
    case 'StockAdjusted':
    case 'StockReserved':
    case 'StockReleased':
    case 'StockCommitted':
      throw new Error(`${event.type} is applied as a quantity move`);
    case 'StockReservationRejected':
    case 'LowStock':
      // Nothing to change: `low_stock` follows from the quantities; alerts have their own table.
      return;
    case 'ProductUpdated': {
      const { productId, changes } = event.data;
      if (changes.sku === undefined) return;
      return update(tx, productId, recorded, 'sku = $3', [changes.sku]);
    }
    case 'ProductDeleted':
      return update(tx, event.data.productId, recorded, 'discontinued = true', []);
    default:
      return assertNever(event);
  }
}
