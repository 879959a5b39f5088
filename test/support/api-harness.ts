import type Koa from 'koa';
import { Pool } from 'pg';
import request from 'supertest';
import type { AppState } from '../../src/api/auth';
import { buildApi } from '../../src/composition';
import type { ConsumerRunner } from '../../src/consumers';
import { createPostgresEventStore, type EventStore } from '../../src/eventstore';
import { ensureAdmin } from '../../src/identity/admin';
import { createPaymentGateway, type RunningGateway } from '../../src/payment-gateway';
import { startProjections } from '../../src/projections';
import { ProjectionRebuilds } from '../../src/projections/rebuild';
import { capturingLogger } from '../api/app-fixture';
import { createTestDatabase, type TestDatabase } from './database';

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
export const JWT_SECRET = 'api-harness-secret-of-at-least-32-chars';

/**
 * The whole HTTP API as main.ts builds it (every module, real token auth, projections
 * running) on a fresh database, with an administrator and one registered customer.
 */
export interface ApiHarness {
  app: Koa<AppState>;
  pool: Pool;
  store: EventStore;
  adminToken: string;
  customerToken: string;
  /** Registers and logs in a new customer; returns its access token. */
  newCustomer(): Promise<string>;
  logLines: Array<Record<string, unknown>>;
  /** The mock payment gateway the API tokenizes cards with (PAYMENT_GATEWAY_URL). */
  gatewayUrl: string;
  /** The projection rebuilds the admin API starts. */
  rebuilds: ProjectionRebuilds;
  close(): Promise<void>;
}

let customers = 0;

export async function apiHarness(): Promise<ApiHarness> {
  const db: TestDatabase = await createTestDatabase();
  const pool = new Pool({ connectionString: db.connectionString, max: 8 });
  pool.on('error', () => undefined);
  const store = await createPostgresEventStore({ connectionString: db.connectionString });
  const { logger, lines } = capturingLogger();
  const runners: ConsumerRunner[] = startProjections(pool, store, logger, { pollMs: 50 });
  await ensureAdmin(pool, ADMIN.email, ADMIN.password);
  const gateway: RunningGateway = await createPaymentGateway(pool, { logger }).listen(0);
  const rebuilds = new ProjectionRebuilds(pool, store, { logger });
  const app = buildApi({
    pool,
    store,
    logger,
    rebuilds,
    jwtSecret: JWT_SECRET,
    lowStockThreshold: 10,
    paymentGatewayUrl: gateway.url,
  });

  const login = async (email: string, password: string): Promise<string> => {
    const res = await request(app.callback()).post('/api/v1/auth/login').send({ email, password });
    if (res.status !== 200)
      throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as { access_token: string }).access_token;
  };
  const newCustomer = async (): Promise<string> => {
    customers += 1;
    const email = `customer-${process.pid}-${Date.now()}-${customers}@example.com`;
    const password = 'customer-password-1';
    const res = await request(app.callback())
      .post('/api/v1/auth/register')
      .send({ email, password, first_name: 'Cus', last_name: 'Tomer' });
    if (res.status !== 201) throw new Error(`register failed: ${res.status}`);
    return login(email, password);
  };

  return {
    app,
    pool,
    store,
    adminToken: await login(ADMIN.email, ADMIN.password),
    customerToken: await newCustomer(),
    newCustomer,
    logLines: lines,
    gatewayUrl: gateway.url,
    rebuilds,
    async close() {
      await rebuilds.stop();
      await Promise.all(runners.map((r) => r.stop()));
      await gateway.close();
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
}
