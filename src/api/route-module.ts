import type Router from '@koa/router';
import type { AppState } from './auth';

/** An OpenAPI 3.1 operation object (kept loose: the document is data, tested for coverage). */
export type OpenApiOperation = Record<string, unknown> & { summary: string };
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * What a feature contributes to the HTTP API: its routes under `/api/v1` and their OpenAPI
 * description. The OpenAPI test checks that every registered route is documented and every
 * documented route is registered. Paths use OpenAPI syntax (`/products/{id}`); the router
 * uses koa's (`/products/:id`).
 */
export interface RouteModule {
  name: string;
  register(router: Router<AppState>): void;
  openapi: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>;
  /** Reusable schemas for `#/components/schemas/...`. */
  schemas?: Record<string, unknown>;
}
