import type Router from '@koa/router';
import type Koa from 'koa';
import type { AppState } from './auth';
import type { HttpMethod, OpenApiOperation, RouteModule } from './route-module';
import { foundationPaths, foundationResponses, foundationSchemas } from './openapi.foundation';

export { problemResponses, jsonBody, jsonResponse, schemaRef } from './openapi.foundation';

export type OpenApiPathItem = Partial<Record<HttpMethod, OpenApiOperation>> &
  Record<string, unknown>;

/** An OpenAPI 3.1 document, typed only as far as the coverage check and the tests need. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers: Array<{ url: string }>;
  paths: Record<string, OpenApiPathItem>;
  components: {
    schemas: Record<string, unknown>;
    responses: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
}

const METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];
const V1 = '/api/v1';

/**
 * The document for `/openapi.json`: the foundation's own endpoints (health, ready, metrics,
 * openapi, docs) and each module's paths under `/api/v1`, with their schemas. Path
 * parameters a module left undeclared are added as strings, so the document stays valid;
 * a path and method described twice, or a schema name given two meanings, is a programming
 * error and throws at start.
 */
export function buildOpenApi(
  modules: readonly RouteModule[],
  info: { title?: string; version?: string } = {},
): OpenApiDocument {
  const paths: Record<string, OpenApiPathItem> = structuredClone(foundationPaths(V1));
  const schemas: Record<string, unknown> = { ...foundationSchemas };
  const owner = new Map<string, string>();

  for (const module of modules) {
    for (const [path, item] of Object.entries(module.openapi)) {
      const fullPath = `${V1}${path}`;
      const target = (paths[fullPath] ??= {});
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const key = `${method.toUpperCase()} ${fullPath}`;
        if (target[method] || owner.has(key)) {
          throw new Error(`OpenAPI: ${key} is described twice (${module.name})`);
        }
        owner.set(key, module.name);
        target[method] = withPathParameters(fullPath, {
          tags: [module.name],
          ...structuredClone(operation),
        });
      }
    }
    for (const [name, schema] of Object.entries(module.schemas ?? {})) {
      if (name in schemas && JSON.stringify(schemas[name]) !== JSON.stringify(schema)) {
        throw new Error(`OpenAPI: schema ${name} has two definitions (${module.name})`);
      }
      schemas[name] = schema;
    }
  }

  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'orderflow',
      version: info.version ?? '1.0.0',
      description:
        'Event-sourced order backend. Errors are RFC 7807 `application/problem+json`; ' +
        'malformed ids in a path answer 404, malformed fields in a body or query 400.',
    },
    servers: [{ url: '/' }],
    paths: sortKeys(paths),
    components: {
      schemas: sortKeys(schemas),
      responses: foundationResponses,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

/** Declares each `{name}` of the path that the operation does not declare itself. */
function withPathParameters(path: string, operation: OpenApiOperation): OpenApiOperation {
  const declared = new Set(
    ((operation.parameters as Array<{ in?: unknown; name?: unknown }> | undefined) ?? [])
      .filter((p) => p.in === 'path')
      .map((p) => p.name),
  );
  const missing = [...path.matchAll(/\{([^}]+)\}/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => !declared.has(name))
    .map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (missing.length === 0) return operation;
  const parameters = (operation.parameters as unknown[] | undefined) ?? [];
  return { ...operation, parameters: [...parameters, ...missing] };
}

function sortKeys<V>(record: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** `GET /openapi.json`: the document, built once at start. */
export function registerOpenApiRoute(router: Router<AppState>, document: OpenApiDocument): void {
  const body = JSON.stringify(document);
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = body;
  });
}

/**
 * Every route the app's routers (or the given routers) register, as `GET /api/v1/products/{id}`
 * (koa's `:id` written the OpenAPI way), sorted. HEAD (koa adds it to each GET) and
 * router-level middleware are left out. Compare with {@link documentedRoutes}.
 */
export function routesOf(
  source: Pick<Koa<AppState>, 'middleware'> | ReadonlyArray<Router<AppState>>,
): string[] {
  const routers: Array<Router<AppState>> = Array.isArray(source)
    ? [...(source as ReadonlyArray<Router<AppState>>)]
    : (source as Pick<Koa<AppState>, 'middleware'>).middleware.flatMap((mw) => {
        const router = (mw as { router?: Router<AppState> }).router;
        return router ? [router] : [];
      });
  const routes = new Set<string>();
  for (const router of routers) {
    for (const layer of router.stack) {
      if (typeof layer.path !== 'string') continue;
      for (const method of layer.methods) {
        if (method === 'HEAD' || method === 'OPTIONS') continue;
        routes.add(`${method} ${toOpenApiPath(layer.path)}`);
      }
    }
  }
  return [...routes].sort();
}

/** Every operation the document describes, in the form {@link routesOf} uses. */
export function documentedRoutes(document: Pick<OpenApiDocument, 'paths'>): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, item]) =>
      METHODS.filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`),
    )
    .sort();
}

/** `/products/:id` → `/products/{id}`; a trailing slash is dropped. */
export function toOpenApiPath(path: string): string {
  const converted = path.replace(/:(\w+)/g, '{$1}');
  return converted.length > 1 ? converted.replace(/\/$/, '') : converted;
}
