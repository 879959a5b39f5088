import type { RouteModule } from '../api/route-module';
import { inventoryRoutes } from '../inventory/inventory.routes';
import type { CatalogApiDeps } from './catalog.deps';
import { categoryRoutes } from './categories.routes';
import { productRoutes } from './products.routes';

export type { CatalogApiDeps } from './catalog.deps';
export { catalogMigrationSets } from './schema';

/** The catalog's and inventory's route modules, for `createApp({ modules })`. */
export function catalogModules(deps: CatalogApiDeps): RouteModule[] {
  return [productRoutes(deps), categoryRoutes(deps), inventoryRoutes(deps)];
}
