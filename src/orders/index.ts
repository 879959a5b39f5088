export { orderMigrationSets } from './orders.schema';
export { orderRoutes, type OrdersApiDeps } from './orders.routes';
