import type { Pool } from 'pg';
import { createConsumerRunner, type ConsumerLogger, type ConsumerRunner } from '../consumers';
import type { EventStore } from '../eventstore';
import { inventoryProjection } from './inventory.projection';
import { lowStockAlertsProjection } from './low-stock-alerts.projection';
import { ordersProjection } from './orders.projection';
import { productsProjection } from './products.projection';
import type { ProjectionDefinition } from './projection';

export { INVENTORY_PROJECTION, inventoryProjection } from './inventory.projection';
export {
  LOW_STOCK_ALERTS_PROJECTION,
  lowStockAlertsProjection,
} from './low-stock-alerts.projection';
export { ORDERS_PROJECTION, ordersProjection } from './orders.projection';
export { PRODUCTS_PROJECTION, productsProjection } from './products.projection';
export { resetProjection, type ProjectionDefinition } from './projection';
export {
  readYourWrites,
  type AwaitProjections,
  type ReadYourWritesOptions,
} from './read-your-writes';

/** Every read model, in no particular order (each has its own checkpoint). */
export function projections(): ProjectionDefinition[] {
  return [productsProjection, inventoryProjection, lowStockAlertsProjection, ordersProjection];
}

/**
 * Starts one consumer runner per projection (each competes for its own leadership, so a
 * second process running them stands by) and returns them, for `stop()` on shutdown and
 * for the readiness and status reports.
 */
export function startProjections(
  pool: Pool,
  store: EventStore,
  logger: ConsumerLogger,
  options: { pollMs?: number } = {},
): ConsumerRunner[] {
  return projections().map((consumer) => {
    const runner = createConsumerRunner({ consumer, store, pool, logger, ...options });
    runner.start();
    return runner;
  });
}
