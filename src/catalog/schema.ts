import { catalogClaimsMigrations } from '../commands/catalog.claims';
import type { MigrationSet } from '../infra/migrations';
import { inventoryProjection } from '../projections/inventory.projection';
import { lowStockAlertsProjection } from '../projections/low-stock-alerts.projection';
import { productsProjection } from '../projections/products.projection';

/**
 * The catalog's and inventory's tables: the SKU and name claims (write side) and the three
 * read models. Each is a component of its own, so each can evolve (or be rebuilt) alone.
 */
export const catalogMigrationSets: readonly MigrationSet[] = [
  catalogClaimsMigrations,
  productsProjection.migrations,
  inventoryProjection.migrations,
  lowStockAlertsProjection.migrations,
];
