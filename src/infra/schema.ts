import { catalogMigrationSets } from '../catalog/schema';
import { consumerMigrations } from '../consumers/schema';
import { eventStoreMigrations } from '../eventstore/postgres/schema';
import { identityMigrations } from '../identity/schema';
import { orderMigrationSets } from '../orders/orders.schema';
import { gatewayMigrations } from '../payment-gateway/schema';
import { processMigrations } from '../processes/schema';
import { rebuildMigrations } from '../projections/rebuild';
import type { MigrationSet } from './migrations';

/**
 * Every component's migrations, in the order they apply. A new module with tables adds
 * its set here; `npm start` and the test template database apply them all.
 */
export const allMigrationSets: readonly MigrationSet[] = [
  eventStoreMigrations,
  consumerMigrations,
  identityMigrations,
  ...catalogMigrationSets,
  ...orderMigrationSets,
  // After the orders: both create order_payment_tokens (this one only if it is missing).
  processMigrations,
  rebuildMigrations,
  gatewayMigrations,
];
