import { LowStock } from '../domain/inventory/inventory.events';
import { decodeRecorded, type ProjectionDefinition } from './projection';

/**
 * One row per LowStock event: the alert log an operator (or a purchasing job) works from.
 * Keyed by the event id, so an event applied twice still makes one row.
 */
export const LOW_STOCK_ALERTS_PROJECTION = 'low_stock_alerts';

const schema = `
CREATE TABLE low_stock_alerts (
  event_id uuid PRIMARY KEY,
  product_id uuid NOT NULL,
  available bigint NOT NULL,
  reorder_threshold bigint NOT NULL,
  raised_at timestamptz NOT NULL,
  position bigint NOT NULL
);
CREATE INDEX low_stock_alerts_product_idx ON low_stock_alerts (product_id, position);
`;

export const lowStockAlertsProjection: ProjectionDefinition = {
  kind: 'projection',
  name: LOW_STOCK_ALERTS_PROJECTION,
  filter: { eventTypes: ['LowStock'], streamPrefixes: ['inventory-'] },
  migrations: {
    component: 'projection:low_stock_alerts',
    migrations: [{ version: 1, name: 'low_stock_alerts', sql: schema }],
  },
  tables: ['low_stock_alerts'],
  async handle(events, tx) {
    for (const recorded of events) {
      const { data } = decodeRecorded(LowStock, recorded);
      await tx.query(
        `INSERT INTO low_stock_alerts (event_id, product_id, available, reorder_threshold,
                                       raised_at, position)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`,
        [
          recorded.id,
          data.productId,
          data.available,
          data.threshold,
          data.at,
          recorded.position.toString(),
        ],
      );
    }
  },
};
