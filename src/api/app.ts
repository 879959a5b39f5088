import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import Router from '@koa/router';
import cors from '@koa/cors';
import Koa from 'koa';
import { InvalidEventStoreInputError, WrongExpectedRevisionError } from '../eventstore';
import type { Logger } from '../infra/logger';
import type { AppState } from './auth';
import { bodyParsing } from './body';
import { registerDocsRoutes } from './docs';
import { registerHealthRoutes, type ReadyReport } from './health.routes';
import { createMetrics, registerMetricsRoute, type Metrics } from './metrics';
import { buildOpenApi, registerOpenApiRoute } from './openapi';
import { HttpProblem } from './problem';
import type { RouteModule } from './route-module';

export type { AppState } from './auth';

export const API_BASE_PATH = '/api/v1';

export interface AppDeps {
  logger: Logger;
  checkReady: () => Promise<ReadyReport>;
  /** The features' routes, mounted under `/api/v1` and described in `/openapi.json`. */
  modules?: RouteModule[];
  /**
   * Runs before every `/api/v1` route: sets `ctx.state.user` from a valid bearer token and
   * leaves it unset without one (the routes' guards decide what that means).
   */
  authenticate?: Koa.Middleware<AppState>;
  /** Origins allowed to call from a browser: `['*']` for any; no CORS headers when absent. */
  corsOrigins?: string[];
  /** The process's metrics (main passes one reading the consumers); a bare one otherwise. */
  metrics?: Metrics;
}

/**
 * The koa application. In order: request id and request log, request timing, CORS, the one
 * error middleware, body parsing, then the routers. `/health`, `/ready` and `/openapi.json`
 * answer both at the root (for orchestrators and tools) and under `/api/v1`; `/metrics` and
 * `/docs` at the root.
 */
export function createApp(deps: AppDeps): Koa<AppState> {
  const app = new Koa<AppState>();
  // Request errors are logged by problemErrors; this catches what happens outside it
  // (a client gone mid-response).
  app.on('error', (error: unknown) => deps.logger.warn({ err: error }, 'response error'));
  const metrics = deps.metrics ?? createMetrics({ logger: deps.logger });
  const modules = deps.modules ?? [];

  app.use(requestContext(deps.logger));
  app.use(metrics.middleware);
  if (deps.corsOrigins && deps.corsOrigins.length > 0) app.use(corsFor(deps.corsOrigins));
  app.use(problemErrors(deps.logger));
  app.use(bodyParsing());

  const document = buildOpenApi(modules);
  const root = new Router<AppState>();
  const v1 = new Router<AppState>({ prefix: API_BASE_PATH });
  if (deps.authenticate) v1.use(deps.authenticate);
  for (const router of [root, v1]) {
    registerHealthRoutes(router, deps.checkReady);
    registerOpenApiRoute(router, document);
  }
  registerMetricsRoute(root, metrics.registry);
  registerDocsRoutes(root);
  for (const module of modules) module.register(v1);
  for (const router of [root, v1]) app.use(router.routes()).use(router.allowedMethods());
  return app;
}

/** Takes `X-Request-Id` from the caller or makes one, echoes it, and logs each request. */
function requestContext(logger: Logger): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    const given = ctx.get('X-Request-Id');
    ctx.state.requestId = /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const quiet = /\/(health|ready|metrics)$/.test(ctx.path);
      logger[quiet ? 'debug' : 'info'](
        { req_id: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms },
        'request',
      );
    }
  };
}

/**
 * CORS for the configured origins: `*` allows any, otherwise only a listed origin is
 * reflected (an unlisted one gets no CORS headers, so the browser refuses). Tokens travel
 * in the Authorization header, not cookies, so no credentials mode.
 */
function corsFor(origins: string[]): Koa.Middleware {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => {
      const origin = ctx.get('Origin');
      if (any) return '*';
      return allowed.has(origin) ? origin : '';
    },
    exposeHeaders: ['X-Request-Id', 'Location', 'ETag', 'Retry-After'],
    allowHeaders: ['Authorization', 'Content-Type', 'If-Match', 'Idempotency-Key', 'X-Request-Id'],
    maxAge: 600,
  });
}

/**
 * The one place errors become responses. An `HttpProblem` is rendered as it says (status,
 * headers, problem body); the event store's concurrency and input errors get their statuses
 * here; errors from koa and its middleware keep their 4xx status (their message only when
 * marked safe to expose); anything else is a 500 that reveals nothing and is logged with the
 * request id. Empty 4xx/5xx responses (no route, wrong method) get a problem body too.
 */
function problemErrors(logger: Logger): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) respond(ctx, emptyProblem(ctx.status));
    } catch (error) {
      const known = toHttpProblem(error, ctx);
      if (known.status >= 500) {
        logger.error({ err: error, req_id: ctx.state.requestId }, 'request failed');
      }
      respond(ctx, known);
    }
  };
}

function toHttpProblem(error: unknown, ctx: Koa.Context): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof WrongExpectedRevisionError) {
    return ctx.get('If-Match')
      ? new HttpProblem(412, {
          code: 'precondition_failed',
          detail: 'The resource has changed since the version given in If-Match',
        })
      : new HttpProblem(409, {
          code: 'concurrency_conflict',
          detail: 'The resource was changed by another request at the same time; try again',
        });
  }
  if (error instanceof InvalidEventStoreInputError) {
    return new HttpProblem(400, {
      code: 'invalid_input',
      detail: 'The request contains a value that cannot be stored',
    });
  }
  const http = error as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof http.status === 'number' && http.status >= 400 && http.status < 500) {
    const detail =
      http.expose === true && typeof http.message === 'string' ? http.message : undefined;
    return new HttpProblem(http.status, detail !== undefined ? { detail } : {});
  }
  const status = typeof http.status === 'number' && http.status >= 500 && http.status < 600;
  return new HttpProblem(status ? (http.status as number) : 500, {
    detail: 'An unexpected error occurred; quote the X-Request-Id when reporting it',
  });
}

/** The problem for a response that ended with an error status and nothing to say. */
function emptyProblem(status: number): HttpProblem {
  const details: Record<number, string> = {
    404: 'No resource at this path',
    405: 'This resource does not support the method; see the Allow header',
    501: 'The method is not implemented',
  };
  const detail = details[status];
  return new HttpProblem(status, detail !== undefined ? { detail } : {});
}

function respond(ctx: Koa.Context, problem: HttpProblem): void {
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.options.headers ?? {})) ctx.set(name, value);
  ctx.body = problem.toProblem();
  ctx.type = 'application/problem+json';
}

/** Starts listening; resolves once bound (rejects on EADDRINUSE and the like). */
export function listen(app: Koa<AppState>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => {
      server.off('error', reject);
      resolve(server);
    });
    server.once('error', reject);
  });
}

/** Stops accepting, lets in-flight requests finish for `graceMs`, then cuts the rest. */
export function closeServer(server: Server, graceMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
