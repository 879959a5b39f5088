import type { Server } from 'node:http';
import { Pool } from 'pg';
import pino from 'pino';
import { closeServer, listen } from '../../src/api/app';
import { buildApi } from '../../src/composition';
import { createPostgresEventStore, type EventStore } from '../../src/eventstore';
import { ensureAdmin } from '../../src/identity/admin';
import { createLogger, type Logger } from '../../src/infra/logger';
import {
  gatewayUrl,
  startFulfilmentRole,
  startGatewayRole,
  startInventoryRole,
  startProjectorRole,
  type Part,
  type ProcessContext,
} from '../../src/roles';
import { freePort } from '../../test/support/free-port';

export const BENCH_ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-1' };
const JWT_SECRET = 'orderflow-bench-secret-of-at-least-32-chars';
const HOST = '127.0.0.1';

/** The whole application as `npm start` (role `all`) runs it, in this process. */
export interface RunningApp {
  /** `http://127.0.0.1:<port>/api/v1` */
  apiBase: string;
  gatewayUrl: string;
  pool: Pool;
  store: EventStore;
  logger: Logger;
  /** Stops the parts in reverse order of starting: HTTP first, the pool last. */
  stop(): Promise<void>;
}

/**
 * Starts what role `all` starts, in the same order and through the same functions
 * (src/roles.ts): the mock gateway (latency 0, no failures, its own port), projections,
 * inventory reactions, fulfilment, then the API on a real HTTP listener. The pool has the
 * size main.ts gives it (10). Logs at BENCH_LOG_LEVEL (default warn) go to stderr.
 */
export async function startApp(connectionString: string): Promise<RunningApp> {
  const level = (process.env.BENCH_LOG_LEVEL || 'warn') as Parameters<
    typeof createLogger
  >[0]['level'];
  const logger = createLogger({ level, destination: pino.destination({ dest: 2, sync: true }) });
  const parts: Part[] = [];
  const stop = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const part of parts.splice(0).reverse()) {
      await part.stop().catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the app failed');
  };
  try {
    const pool = new Pool({ connectionString, max: 10, connectionTimeoutMillis: 5_000 });
    pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
    parts.push({ name: 'database pool', stop: () => pool.end() });
    const store = await createPostgresEventStore({ connectionString });
    parts.push({ name: 'event store', stop: () => store.close() });

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PAYMENT_GATEWAY_PORT: String(await freePort()),
      PAYMENT_LATENCY_MS: '0',
      PAYMENT_FAILURE_RATE: '0',
      PAYMENT_TIMEOUT_RATE: '0',
      PAYMENT_ERROR_RATE: '0',
    };
    delete env.PAYMENT_GATEWAY_URL; // the gateway this process runs
    const ctx: ProcessContext = { env, host: HOST, logger, pool, store, parts, notes: [] };

    await startGatewayRole(ctx);
    startProjectorRole(ctx);
    startInventoryRole(ctx);
    startFulfilmentRole(ctx);

    await ensureAdmin(pool, BENCH_ADMIN.email, BENCH_ADMIN.password);
    const app = buildApi({
      pool,
      store,
      logger,
      jwtSecret: JWT_SECRET,
      lowStockThreshold: 10,
      paymentGatewayUrl: gatewayUrl(ctx)!,
    });
    const server: Server = await listen(app, HOST, await freePort());
    parts.push({ name: 'http server', stop: () => closeServer(server) });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    return {
      apiBase: `http://${HOST}:${port}/api/v1`,
      gatewayUrl: ctx.paymentGatewayUrl!,
      pool,
      store,
      logger,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
