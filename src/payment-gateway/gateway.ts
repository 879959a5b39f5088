import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import type { Pool } from 'pg';
import { bodyParsing } from '../api/body';
import { decode } from '../api/decode';
import { HttpProblem } from '../api/problem';
import { allowManyWaiters, sleep } from '../consumers/backoff';
import { ChargeRequest, LedgerQuery, MAX_LEDGER_PAGE, RefundRequest, TokenRequest } from './codecs';
import { Ledger } from './ledger';
import type { GatewayOptions } from './options';
import { createProcessing, type Outcome } from './processing';

export interface RunningGateway {
  /** `http://host:port`, what the others get as PAYMENT_GATEWAY_URL. */
  url: string;
  /** Stops listening, cuts held and open connections. */
  close(): Promise<void>;
}

export interface PaymentGateway {
  app: Koa;
  /** The gateway's books (the `gateway_ledger` table). */
  ledger: Ledger;
  /** Starts an HTTP server; port 0 picks a free one (see `url`). */
  listen(port: number, host?: string): Promise<RunningGateway>;
}

/**
 * The mock external payment gateway (role `payment-gateway`): a sandbox that tokenizes
 * cards, charges tokens and refunds charges, idempotent by key, with the test cards of
 * DESIGN.md section 8 and configurable latency, declines, errors and timeouts for others.
 *
 * `POST /v1/tokens`, `POST /v1/charges`, `POST /v1/refunds`, `GET /v1/ledger` (pages of at most
 * 1,000 entries: `limit`, `after` = the previous page's `next_cursor`, `idempotency_key`),
 * `GET /health`.
 * Its books are kept in `pool`'s database, whose `gateway_ledger` table must exist
 * (`gatewayMigrations`).
 */
export function createPaymentGateway(pool: Pool, options: GatewayOptions = {}): PaymentGateway {
  const ledger = new Ledger(pool);
  const closing = new AbortController();
  // Every request held by the latency or a timeout waits on it.
  allowManyWaiters(closing.signal);
  // The latency is processing time: a replay of a settled request answers at once, as a
  // real gateway's idempotent replay does (and as a later status check relies on).
  const pause = async (): Promise<void> => {
    if (options.latencyMs) await sleep(options.latencyMs, closing.signal);
    if (closing.signal.aborted) throw new HttpProblem(503, { detail: 'The gateway is stopping' });
  };
  const processing = createProcessing(options, ledger, pause);
  const app = new Koa();
  app.silent = true;
  app.on('error', (error: unknown) =>
    options.logger?.warn({ err: error }, 'payment-gateway: response error'),
  );

  /** Like a real gateway: the work goes on after a client gives up waiting. */
  const handle = async (ctx: Koa.Context, work: Promise<Outcome>): Promise<void> => {
    const { reply, hold } = await work;
    if (hold) {
      // Settled; only the answer is late. Stop holding once nobody is left to answer.
      const gone = new AbortController();
      ctx.res.once('close', () => gone.abort());
      await sleep(options.timeoutHoldMs ?? 30_000, AbortSignal.any([gone.signal, closing.signal]));
    }
    ctx.status = reply.status;
    ctx.body = reply.body;
    if (reply.status >= 400) ctx.type = 'application/problem+json';
  };

  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.post('/v1/tokens', (ctx) => {
    const card = decode(TokenRequest, ctx.request.body, 'body');
    ctx.status = 201;
    ctx.body = { object: 'token', ...processing.tokenize(card) };
  });
  router.post('/v1/charges', async (ctx) => {
    const req = decode(ChargeRequest, ctx.request.body, 'body');
    await handle(ctx, processing.charge(req));
  });
  router.post('/v1/refunds', async (ctx) => {
    const req = decode(RefundRequest, ctx.request.body, 'body');
    await handle(ctx, processing.refund(req));
  });
  router.get('/v1/ledger', async (ctx) => {
    const query = decode(LedgerQuery, ctx.query, 'query');
    const { entries, next } = await ledger.page({
      limit: query.limit ?? MAX_LEDGER_PAGE,
      after: query.after ?? 0,
      ...(query.idempotency_key !== undefined && { key: query.idempotency_key }),
    });
    ctx.body = { entries, next_cursor: next === undefined ? null : String(next) };
  });

  app.use(problems(options));
  app.use(bodyParsing());
  app.use(router.routes()).use(router.allowedMethods());

  return {
    app,
    ledger,
    listen: (port, host = '127.0.0.1') => listenOn(app, port, host, closing),
  };
}

/** Renders errors as problem documents; anything unexpected is a 500 that says nothing more. */
function problems(options: GatewayOptions): Koa.Middleware {
  return async (ctx, next) => {
    let problem: HttpProblem | undefined;
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) problem = new HttpProblem(ctx.status);
    } catch (error) {
      if (error instanceof HttpProblem) problem = error;
      else {
        const status = (error as { status?: unknown }).status;
        const client = typeof status === 'number' && status >= 400 && status < 500;
        if (!client) options.logger?.error({ err: error }, 'payment-gateway: request failed');
        problem = new HttpProblem(client ? status : 500);
      }
    }
    if (!problem) return;
    ctx.status = problem.status;
    for (const [name, value] of Object.entries(problem.options.headers ?? {})) ctx.set(name, value);
    ctx.body = problem.toProblem();
    ctx.type = 'application/problem+json';
  };
}

function listenOn(
  app: Koa,
  port: number,
  host: string,
  closing: AbortController,
): Promise<RunningGateway> {
  const handler = app.callback();
  const server = createServer((req, res) => void handler(req, res));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${bound}`,
        close: () =>
          new Promise<void>((done, fail) => {
            closing.abort();
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
