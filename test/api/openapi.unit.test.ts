import Router from '@koa/router';
import request from 'supertest';
import type { AppState } from '../../src/api/auth';
import {
  buildOpenApi,
  documentedRoutes,
  problemResponses,
  routesOf,
  schemaRef,
  toOpenApiPath,
  type OpenApiDocument,
} from '../../src/api/openapi';
import type { RouteModule } from '../../src/api/route-module';
import { testApp } from './app-fixture';

const ok = () => undefined;

/** Two modules shaped like the real ones: path parameters, several methods, schemas. */
const products: RouteModule = {
  name: 'products',
  register(router: Router<AppState>) {
    router.get('/products', ok);
    router.post('/products', ok);
    router.get('/products/:id', ok);
    router.put('/products/:id', ok);
    router.delete('/products/:id', ok);
  },
  openapi: {
    '/products': {
      get: { summary: 'List products', responses: { 200: { description: 'A page' } } },
      post: {
        summary: 'Create a product',
        responses: { 201: { description: 'Created' }, ...problemResponses(400, 401, 403, 409) },
      },
    },
    '/products/{id}': {
      get: {
        summary: 'One product',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        ],
        responses: {
          200: {
            description: 'The product',
            content: { 'application/json': { schema: schemaRef('Product') } },
          },
        },
      },
      put: { summary: 'Update a product', responses: { 200: { description: 'Updated' } } },
      delete: { summary: 'Delete a product', responses: { 204: { description: 'Deleted' } } },
    },
  },
  schemas: { Product: { type: 'object', properties: { id: { type: 'string' } } } },
};

const inventory: RouteModule = {
  name: 'inventory',
  register(router: Router<AppState>) {
    router.get('/inventory/:product_id', ok);
    router.post('/inventory/:product_id/restock', ok);
  },
  openapi: {
    '/inventory/{product_id}': { get: { summary: 'Stock of a product' } },
    '/inventory/{product_id}/restock': { post: { summary: 'Restock' } },
  },
};

async function served(path: string): Promise<OpenApiDocument> {
  const res = await request(testApp({ modules: [products, inventory] }).callback()).get(path);
  expect(res.status).toBe(200);
  expect(res.type).toBe('application/json');
  return res.body as OpenApiDocument;
}

describe('/openapi.json', () => {
  it.each(['/openapi.json', '/api/v1/openapi.json'])(
    '%s is an OpenAPI 3.1 document',
    async (path) => {
      const doc = await served(path);
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info).toMatchObject({
        title: 'orderflow',
        version: expect.any(String) as unknown,
      });
      expect(doc.paths['/api/v1/products/{id}']?.get?.summary).toBe('One product');
      expect(doc.paths['/api/v1/products/{id}']?.get?.tags).toEqual(['products']);
      expect(doc.components.schemas).toHaveProperty('Product');
      expect(doc.components.schemas).toHaveProperty('Problem');
      expect(doc.components.responses).toHaveProperty('BadRequest');
      expect(doc.components.securitySchemes).toHaveProperty('bearerAuth');
    },
  );

  it('resolves every $ref it contains', async () => {
    const doc = await served('/openapi.json');
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(0);
    const missing = refs.filter((ref) => {
      let node: unknown = doc;
      for (const key of ref.split('/')) node = (node as Record<string, unknown> | undefined)?.[key];
      return node === undefined;
    });
    expect(missing).toEqual([]);
  });

  it('declares every path parameter (adding those a module left out)', async () => {
    const doc = await served('/openapi.json');
    const undeclared = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, op]) => {
        const names = (
          (op as { parameters?: Array<{ in: string; name: string }> }).parameters ?? []
        )
          .filter((p) => p.in === 'path')
          .map((p) => p.name);
        return [...path.matchAll(/\{(\w+)\}/g)]
          .filter((m) => !names.includes(m[1] ?? ''))
          .map((m) => `${method} ${path} {${m[1]}}`);
      }),
    );
    expect(undeclared).toEqual([]);
    // The module's own declaration is kept, not duplicated.
    expect(doc.paths['/api/v1/products/{id}']?.get?.parameters).toHaveLength(1);
  });
});

describe('OpenAPI coverage', () => {
  it('documents every registered route, and registers every documented one', () => {
    const app = testApp({ modules: [products, inventory] });
    const registered = routesOf(app);
    const documented = documentedRoutes(buildOpenApi([products, inventory]));
    expect(registered).toEqual(documented);
    expect(registered).toEqual(
      expect.arrayContaining([
        'GET /health',
        'GET /api/v1/ready',
        'GET /metrics',
        'GET /docs',
        'GET /openapi.json',
        'DELETE /api/v1/products/{id}',
        'POST /api/v1/inventory/{product_id}/restock',
      ]),
    );
  });

  it('notices a route nobody documented', () => {
    const sneaky: RouteModule = {
      ...inventory,
      register(router) {
        inventory.register(router);
        router.patch('/inventory/:product_id', ok);
      },
    };
    const registered = routesOf(testApp({ modules: [sneaky] }));
    const documented = documentedRoutes(buildOpenApi([sneaky]));
    expect(registered).not.toEqual(documented);
    expect(registered.filter((r) => !documented.includes(r))).toEqual([
      'PATCH /api/v1/inventory/{product_id}',
    ]);
  });

  it('notices a documented route nobody registered', () => {
    const hollow: RouteModule = { ...inventory, register: () => undefined };
    const registered = routesOf(testApp({ modules: [hollow] }));
    const documented = documentedRoutes(buildOpenApi([hollow]));
    expect(documented.filter((r) => !registered.includes(r))).toEqual([
      'GET /api/v1/inventory/{product_id}',
      'POST /api/v1/inventory/{product_id}/restock',
    ]);
  });

  it('walks routers given directly too', () => {
    const router = new Router<AppState>({ prefix: '/api/v1' });
    router.get('/orders/:id/history', ok);
    router.use(ok);
    expect(routesOf([router])).toEqual(['GET /api/v1/orders/{id}/history']);
  });
});

describe('buildOpenApi', () => {
  it('refuses a route described by two modules', () => {
    const twin: RouteModule = { ...inventory, name: 'twin' };
    expect(() => buildOpenApi([inventory, twin])).toThrow(/described twice \(twin\)/);
  });

  it('refuses one schema name with two meanings', () => {
    const other: RouteModule = {
      name: 'other',
      register: () => undefined,
      openapi: {},
      schemas: { Product: { type: 'string' } },
    };
    expect(() => buildOpenApi([products, other])).toThrow(/schema Product/);
  });

  it('writes koa paths the OpenAPI way', () => {
    expect(toOpenApiPath('/api/v1/inventory/:product_id/restock')).toBe(
      '/api/v1/inventory/{product_id}/restock',
    );
    expect(toOpenApiPath('/docs/')).toBe('/docs');
    expect(toOpenApiPath('/')).toBe('/');
  });
});
