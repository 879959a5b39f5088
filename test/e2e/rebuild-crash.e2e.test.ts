import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { ordersProjection } from '../../src/projections';
import { snapshot } from '../projections/harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/free-port';
import {
  call,
  crash,
  launch,
  MAIN,
  sleep,
  started,
  stop,
  TEST_CARD,
  type RoleProcess,
} from './processes';

/**
 * SIGKILL the process rebuilding the orders read model: the live tables keep every row as
 * it was, the projection goes on after a restart, and the next rebuild drops the orphan
 * schema and swaps a complete model in.
 */
jest.setTimeout(240_000);

const ADMIN_EMAIL = 'admin@rebuild-crash.test';
const ADMIN_PASSWORD = 'admin-password-rebuild-crash';
const ADDRESS = { line1: '1 Main St', city: 'X', state: 'Y', postal_code: '1', country: 'US' };

let db: TestDatabase | undefined;
let sql: Client | undefined;
let env: Record<string, string> = {};
let base = '';
let proc: RoleProcess | undefined;

async function login(email: string, password: string): Promise<string> {
  const res = await call(base, 'POST', '/api/v1/auth/login', { json: { email, password } });
  expect(res.status).toBe(200);
  return String(res.body.access_token);
}

/** Every row of the orders read model, in a stable order. */
const ordersModel = () => snapshot(sql!, ordersProjection);

async function ordersCaughtUp(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const { rows } = await sql!.query<{ behind: boolean }>(
      `SELECT (SELECT position FROM consumer_checkpoints WHERE name = 'orders')
              < (SELECT max(position) FROM es_events WHERE stream_name LIKE 'order-%') AS behind`,
    );
    if (rows[0]?.behind === false) return;
    await sleep(100);
  }
  throw new Error('the orders projection did not catch up');
}

const schemaExists = async (): Promise<boolean> =>
  (await sql!.query("SELECT 1 FROM pg_namespace WHERE nspname = 'rebuild_orders'")).rowCount === 1;

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\``);
  db = await createTestDatabase();
  sql = new Client({ connectionString: db.connectionString });
  await sql.connect();
  const [port, gatewayPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  env = {
    DATABASE_URL: db.connectionString,
    JWT_SECRET: 'rebuild-crash-e2e-secret-0123456789abcdef',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PORT: String(port),
    PAYMENT_GATEWAY_PORT: String(gatewayPort),
  };
  proc = launch('all', env);
  await started(proc);
});

afterAll(async () => {
  if (proc) await stop(proc);
  await sql?.end();
  await db?.drop();
});

it('keeps the live orders model whole when the rebuilding process is killed', async () => {
  const admin = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
  const product = await call(base, 'POST', '/api/v1/products', {
    token: admin,
    json: { name: 'Crash rebuild', description: 'd', price: 3, quantity: 100_000 },
  });
  expect(product.status).toBe(201);
  const registered = await call(base, 'POST', '/api/v1/auth/register', {
    json: {
      email: 'buyer@rebuild-crash.test',
      password: 'buyer-password',
      first_name: 'B',
      last_name: 'C',
    },
  });
  expect(registered.status).toBe(201);
  const buyer = await login('buyer@rebuild-crash.test', 'buyer-password');
  // Enough order events that the replay takes a while: about 5 per order.
  for (let wave = 0; wave < 20; wave++) {
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await call(base, 'POST', '/api/v1/orders', {
          token: buyer,
          json: {
            items: [{ product_id: String(product.body.id), quantity: 1 }],
            shipping_address: ADDRESS,
            payment: TEST_CARD,
          },
        });
        expect(res.status).toBe(201);
      }),
    );
  }
  // Let the saga finish the orders, so the model stops changing.
  for (let i = 0; i < 300; i++) {
    const { rows } = await sql!.query<{ open: number }>(
      "SELECT count(*)::int AS open FROM orders WHERE status NOT IN ('processed', 'failed')",
    );
    if (rows[0]?.open === 0) break;
    await sleep(100);
  }
  await ordersCaughtUp();
  const before = await ordersModel();

  const rebuild = await call(base, 'POST', '/api/v1/admin/projections/orders/rebuild', {
    token: admin,
  });
  expect(rebuild.status).toBe(202);
  // Killed once the replay is under way: its new tables exist, the swap has not come.
  for (let i = 0; !(await schemaExists()); i++) {
    if (i > 5_000) throw new Error('the rebuild never made its schema');
    await sleep(2);
  }
  await crash(proc!);
  expect(await schemaExists()).toBe(true);
  expect(await ordersModel()).toEqual(before);

  proc = launch('all', env);
  await started(proc);
  const afterCrash = await call(base, 'GET', '/api/v1/admin/projections', { token: admin });
  const ordersRow = (afterCrash.body.items as { name: string; rebuild: unknown }[]).find(
    (p) => p.name === 'orders',
  );
  expect(ordersRow?.rebuild).toMatchObject({ state: 'interrupted' });
  const again = await call(base, 'POST', '/api/v1/admin/projections/orders/rebuild', {
    token: admin,
  });
  expect(again.status).toBe(202);
  let state = '';
  for (let i = 0; i < 300 && state !== 'done'; i++) {
    await sleep(100);
    const listed = await call(base, 'GET', '/api/v1/admin/projections', { token: admin });
    const items = listed.body.items as { name: string; rebuild: { state: string } | null }[];
    state = items.find((p) => p.name === 'orders')?.rebuild?.state ?? '';
    expect(state).not.toBe('failed');
  }
  expect(state).toBe('done');
  expect(await schemaExists()).toBe(false);
  await ordersCaughtUp();
  expect(await ordersModel()).toEqual(before);
});
