import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from '../infra/logger';
import { registerHealthRoutes, type ReadyReport } from './health.routes';

export const API_BASE_PATH = '/api/v1';

export interface AppDeps {
  logger: Logger;
  checkReady: () => Promise<ReadyReport>;
}

export interface AppState {
  requestId: string;
}

/** An RFC 7807 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
}

/**
 * The koa application: request id and error mapping first, then the routes. `/health` and
 * `/ready` answer both at the root (for orchestrators) and under `/api/v1`.
 */
export function createApp(deps: AppDeps): Koa<AppState> {
  const app = new Koa<AppState>();
  // Request errors are logged by problemErrors; this catches what happens outside it
  // (a client gone mid-response).
  app.on('error', (error: unknown) => deps.logger.warn({ err: error }, 'response error'));

  app.use(requestContext(deps.logger));
  app.use(problemErrors(deps.logger));

  const root = new Router();
  const v1 = new Router({ prefix: API_BASE_PATH });
  registerHealthRoutes(root, deps.checkReady);
  registerHealthRoutes(v1, deps.checkReady);
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
      const quiet = ctx.path.endsWith('/health') || ctx.path.endsWith('/ready');
      logger[quiet ? 'debug' : 'info'](
        { req_id: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms },
        'request',
      );
    }
  };
}

/**
 * The one place errors become responses: known HTTP errors keep their status (their message
 * only when marked safe to expose), anything else is a 500 that reveals nothing and is logged
 * with the request id. Empty 4xx/5xx responses (no route, wrong method) get a problem body.
 */
function problemErrors(logger: Logger): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) respond(ctx, problem(ctx.status));
    } catch (error) {
      const http = error as { status?: unknown; expose?: unknown; message?: unknown };
      const status =
        typeof http.status === 'number' && http.status >= 400 && http.status < 600
          ? http.status
          : 500;
      if (status >= 500) {
        logger.error({ err: error, req_id: ctx.state.requestId }, 'request failed');
        respond(ctx, problem(status));
      } else {
        const detail =
          http.expose === true && typeof http.message === 'string' ? http.message : undefined;
        respond(ctx, problem(status, detail));
      }
    }
  };
}

export function problem(status: number, detail?: string): Problem {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    ...(detail !== undefined && { detail }),
  };
}

function respond(ctx: Koa.Context, body: Problem): void {
  ctx.status = body.status;
  ctx.body = body;
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
