import * as t from 'io-ts';
import type { PoolClient } from 'pg';
import { assertNever } from '../domain/decider';
import { ProductDeleted, ProductUpdated } from '../domain/catalog/product.events';
import { InventoryEvent } from '../domain/inventory/inventory.events';
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
    for (const recorded of events) await apply(tx, decodeRecorded(Event, recorded), recorded);
  },
};

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
    case 'StockAdjusted': {
      const { productId, adjustment, at } = event.data;
      const set = 'on_hand = on_hand + $3, updated_at = $4';
      return update(tx, productId, recorded, set, [adjustment, at]);
    }
    case 'StockReserved': {
      const { productId, quantity, at } = event.data;
      const set = 'reserved = reserved + $3, updated_at = $4';
      return update(tx, productId, recorded, set, [quantity, at]);
    }
    case 'StockReleased': {
      const { productId, quantity, at } = event.data;
      const set = 'reserved = reserved - $3, updated_at = $4';
      return update(tx, productId, recorded, set, [quantity, at]);
    }
    case 'StockCommitted': {
      const { productId, quantity, at } = event.data;
      const set = 'on_hand = on_hand - $3, reserved = reserved - $3, updated_at = $4';
      return update(tx, productId, recorded, set, [quantity, at]);
    }
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
