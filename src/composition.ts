import type Koa from 'koa';
import type { Pool } from 'pg';
import { createApp } from './api/app';
import type { AppState } from './api/auth';
import { readinessCheck } from './api/health.routes';
import { createMetrics } from './api/metrics';
import type { RouteModule } from './api/route-module';
import { categoryRoutes } from './catalog/categories.routes';
import { productRoutes } from './catalog/products.routes';
import { readConsumerStatuses } from './consumers';
import type { EventStore } from './eventstore';
import { authenticate } from './identity/authenticate';
import { identityModule } from './identity/identity.routes';
import { createTokenService, type TokenService } from './identity/tokens';
import type { Logger } from './infra/logger';
import { migrationsDone } from './infra/migrations';
import { allMigrationSets } from './infra/schema';
import { inventoryRoutes } from './inventory/inventory.routes';
import { orderRoutes } from './orders/orders.routes';
import { createPaymentClient } from './processes/payment-client';
import { projections, readYourWrites } from './projections';
import { LAG_CAP, projectionAdminRoutes } from './projections/projections.routes';
import { ProjectionRebuilds, readRebuildStatuses } from './projections/rebuild';

/** What the HTTP API is built from; main.ts makes these once per process. */
export interface ApiServices {
  pool: Pool;
  store: EventStore;
  logger: Logger;
  jwtSecret: string;
  lowStockThreshold: number;
  corsOrigins?: string[];
  /** The payment gateway (PAYMENT_GATEWAY_URL), for tokenizing cards; unset: card orders 503. */
  paymentGatewayUrl?: string;
  /** Projection rebuilds the process stops on shutdown; unset: the API makes its own. */
  rebuilds?: ProjectionRebuilds;
}

/** Every feature's routes, in the order they appear in `/openapi.json`. */
export function apiModules(services: ApiServices, tokens: TokenService): RouteModule[] {
  const { pool, store, logger, lowStockThreshold } = services;
  const catalog = {
    pool,
    store,
    lowStockThreshold,
    awaitProjections: readYourWrites(pool, { logger }),
  };
  return [
    identityModule({ pool, tokens, logger }),
    productRoutes(catalog),
    categoryRoutes(catalog),
    inventoryRoutes(catalog),
    orderRoutes({
      pool,
      store,
      awaitProjections: catalog.awaitProjections,
      // Tokenizing holds up the customer's POST: a short timeout and one retry, not the saga's.
      ...(services.paymentGatewayUrl && {
        paymentClient: createPaymentClient({
          baseUrl: services.paymentGatewayUrl,
          timeoutMs: 2_000,
          attempts: 2,
          baseDelayMs: 100,
          logger,
        }),
      }),
    }),
    projectionAdminRoutes({
      consumerStatuses: () => readConsumerStatuses(pool, store, { lagCap: LAG_CAP }),
      projections: projections(),
      rebuilds: services.rebuilds ?? new ProjectionRebuilds(pool, store, { logger }),
      rebuildStatuses: () => readRebuildStatuses(pool),
    }),
  ];
}

/**
 * The whole HTTP API: authentication, every feature, readiness (database, migrations and
 * every consumer of this database, wherever it runs) and metrics.
 */
export function buildApi(services: ApiServices): Koa<AppState> {
  const { pool, store, logger } = services;
  const tokens = createTokenService(services.jwtSecret);
  const consumerStatuses = () => readConsumerStatuses(pool, store, { lagCap: LAG_CAP });
  return createApp({
    logger,
    checkReady: readinessCheck({
      database: () => pool.query('SELECT 1'),
      migrations: () => migrationsDone(pool, allMigrationSets),
      consumerStatuses: () => readConsumerStatuses(pool, store, { lagCap: 1 }),
    }),
    modules: apiModules(services, tokens),
    authenticate: authenticate(tokens),
    ...(services.corsOrigins && { corsOrigins: services.corsOrigins }),
    metrics: createMetrics({ logger, consumerStatuses }),
  });
}
