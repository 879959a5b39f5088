import { createApp } from '../../src/api/app';
import { buildOpenApi, documentedRoutes, routesOf } from '../../src/api/openapi';
import type { RouteModule } from '../../src/api/route-module';
import { catalogModules, type CatalogApiDeps } from '../../src/catalog';
import { createLogger } from '../../src/infra/logger';

// Registering routes touches no dependency; handlers (never called here) would.
const deps = {} as CatalogApiDeps;
const modules: RouteModule[] = catalogModules(deps);

describe('catalog and inventory OpenAPI', () => {
  it('documents every route the modules register, and registers every one documented', () => {
    const app = createApp({
      logger: createLogger({ level: 'silent' }),
      checkReady: () => Promise.reject(new Error('not called')),
      modules,
    });
    const ours = (route: string) => /^\w+ \/api\/v1\/(products|categories|inventory)/.test(route);
    const registered = routesOf(app).filter(ours);
    expect(registered).toEqual(documentedRoutes(buildOpenApi(modules)).filter(ours));
    expect(registered).toEqual([
      'DELETE /api/v1/products/{id}',
      'GET /api/v1/categories',
      'GET /api/v1/inventory',
      'GET /api/v1/inventory/{product_id}',
      'GET /api/v1/products',
      'GET /api/v1/products/{id}',
      'POST /api/v1/categories',
      'POST /api/v1/inventory/{product_id}/restock',
      'POST /api/v1/products',
      'PUT /api/v1/inventory/{product_id}',
      'PUT /api/v1/products/{id}',
    ]);
  });

  it('refers only to schemas it defines', () => {
    const document = buildOpenApi(modules);
    const refs = [...JSON.stringify(document).matchAll(/#\/components\/schemas\/(\w+)/g)].map(
      (m) => m[1] ?? '',
    );
    for (const name of refs) expect(Object.keys(document.components.schemas)).toContain(name);
  });
});
