import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { orderStream } from '../../src/domain/orders/order.events';
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
  type Res,
  type RoleProcess,
  TEST_CARD,
} from './processes';

/**
 * Issue 4, section 7: the built program as five separate processes (payment-gateway,
 * projector, inventory, fulfilment, api) on one PostgreSQL. Orders are placed over HTTP and
 * followed to the end; the mock gateway's ledger is the witness for charges. Then the
 * fulfilment process, and after it the gateway, is SIGKILLed in the middle of a stream of
 * orders and replaced.
 */
jest.setTimeout(240_000);

const TERMINAL = ['processed', 'failed', 'cancelled'];
const ADDRESS = {
  line1: '1 Main St',
  city: 'Springfield',
  state: 'IL',
  postal_code: '62701',
  country: 'US',
};
const ADMIN_EMAIL = 'admin@multi-process.test';
const ADMIN_PASSWORD = 'admin-password-multi-process';

let db: TestDatabase | undefined;
let env: Record<string, string> = {};
let base = '';
let gatewayBase = '';
const procs: Record<string, RoleProcess> = {};
const everyProc: RoleProcess[] = [];
let adminToken = '';
let customerToken = '';

function start(role: string): RoleProcess {
  const proc = launch(role, env);
  procs[role] = proc;
  everyProc.push(proc);
  return proc;
}

interface LedgerEntry {
  kind: 'charge' | 'refund';
  idempotency_key: string;
  status: string;
  charge_id?: string;
}

/** The gateway's whole books, page after page. */
async function ledger(): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for (let after: string | null = '0'; after !== null;) {
    const res = await fetch(`${gatewayBase}/v1/ledger?after=${after}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { entries: LedgerEntry[]; next_cursor: string | null };
    entries.push(...page.entries);
    after = page.next_cursor;
  }
  return entries;
}

async function createProducts(prefix: string, quantities: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, quantity] of quantities.entries()) {
    const created = await call(base, 'POST', '/api/v1/products', {
      token: adminToken,
      json: {
        name: `${prefix} product ${i}`,
        description: `${prefix} test product`,
        price: 10 + i,
        category: 'Test',
        quantity,
      },
    });
    expect(created.status).toBe(201);
    ids.push(String(created.body.id));
  }
  return ids;
}

interface Placed {
  id: string;
  items: Array<{ product_id: string; quantity: number }>;
}

async function placeOrder(items: Placed['items']): Promise<Placed> {
  const res = await call(base, 'POST', '/api/v1/orders', {
    token: customerToken,
    json: { items, shipping_address: ADDRESS, payment: TEST_CARD },
  });
  if (res.status !== 201)
    throw new Error(`order rejected: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: String(res.body.id), items };
}

async function orderStatus(id: string): Promise<string> {
  const res = await call(base, 'GET', `/api/v1/orders/${id}`, { token: customerToken });
  return String(res.body.status);
}

/** Polls every order until all are terminal or the deadline passes; returns the last statuses. */
async function settle(ids: string[], timeoutMs: number): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = ids.filter((id) => !TERMINAL.includes(statuses.get(id) ?? ''));
    if (open.length === 0 || Date.now() > deadline) return statuses;
    for (const id of open) statuses.set(id, await orderStatus(id));
    await sleep(200);
  }
}

/** Which of `orders` have a terminal event in their streams, and which have none yet. */
async function progressInStore(
  store: Client,
  orders: Placed[],
): Promise<{ finished: string[]; open: string[] }> {
  const { rows } = await store.query<{ stream_name: string }>(
    `SELECT DISTINCT stream_name FROM es_events
      WHERE stream_name = ANY($1) AND event_type = ANY($2)`,
    [orders.map((o) => orderStream(o.id)), ['OrderProcessed', 'OrderFailed', 'OrderCancelled']],
  );
  const done = new Set(rows.map((r) => r.stream_name));
  const ids = orders.map((o) => o.id);
  return {
    finished: ids.filter((id) => done.has(orderStream(id))),
    open: ids.filter((id) => !done.has(orderStream(id))),
  };
}

/** Polls the inventory until it matches `expected` (projections and reactions lag). */
async function inventoryReaches(
  productId: string,
  expected: { on_hand: number; reserved_quantity: number },
  timeoutMs = 30_000,
): Promise<Res['body']> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call(base, 'GET', `/api/v1/inventory/${productId}`);
    const matches =
      body.on_hand === expected.on_hand && body.reserved_quantity === expected.reserved_quantity;
    if (matches || Date.now() > deadline) return body;
    await sleep(200);
  }
}

const unitsOf = (orders: Placed[], productId: string): number =>
  orders
    .flatMap((o) => o.items)
    .filter((i) => i.product_id === productId)
    .reduce((n, i) => n + i.quantity, 0);

/**
 * No double charge: at most one capture per idempotency key (the order id), exactly one and
 * no refund for a processed order, and any capture of an unprocessed order refunded (the
 * payment check that finds it may come a little after the order failed: polled).
 */
async function expectChargedOnce(placed: Placed[], statuses: Map<string, string>) {
  const wrong = (entries: LedgerEntry[]) =>
    placed
      .map((order) => {
        const captures = entries.filter(
          (e) => e.kind === 'charge' && e.status === 'captured' && e.idempotency_key === order.id,
        ).length;
        const refunds = entries.filter(
          (e) => e.kind === 'refund' && e.idempotency_key === `${order.id}:refund`,
        ).length;
        return { id: order.id, status: statuses.get(order.id), captures, refunds };
      })
      .filter(({ status, captures, refunds }) =>
        status === 'processed'
          ? captures !== 1 || refunds !== 0
          : captures > 1 || refunds !== captures,
      );
  const deadline = Date.now() + 20_000;
  let found = wrong(await ledger());
  while (found.length > 0 && Date.now() < deadline) {
    await sleep(250);
    found = wrong(await ledger());
  }
  expect(found).toEqual([]);
}

/** Stock conserved: at rest nothing is reserved and exactly the processed orders' units left. */
async function expectStockConserved(products: string[], initial: number[], processed: Placed[]) {
  for (const [i, productId] of products.entries()) {
    const expected = {
      on_hand: (initial[i] ?? 0) - unitsOf(processed, productId),
      reserved_quantity: 0,
    };
    const inventory = await inventoryReaches(productId, expected);
    expect(inventory).toMatchObject(expected);
    expect(inventory.available_quantity).toBe(expected.on_hand);
  }
}

function itemsFor(n: number, products: string[]): Placed['items'] {
  // One or two lines per order, rotating over the products, 1 to 3 units a line.
  const first = products[n % products.length] ?? '';
  const items = [{ product_id: first, quantity: (n % 3) + 1 }];
  if (n % 2 === 0) {
    items.push({ product_id: products[(n + 1) % products.length] ?? '', quantity: 1 });
  }
  return items;
}

function dumpOutputs(): string {
  return everyProc
    .map((p) => `----- ${p.role} (pid ${p.child.pid}) -----\n${p.output().slice(-4000)}`)
    .join('\n');
}

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\``);
  db = await createTestDatabase();
  const [apiPort, gatewayPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${apiPort}`;
  gatewayBase = `http://127.0.0.1:${gatewayPort}`;
  env = {
    DATABASE_URL: db.connectionString,
    JWT_SECRET: 'multi-process-e2e-secret-0123456789abcdef',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PORT: String(apiPort),
    PAYMENT_GATEWAY_PORT: String(gatewayPort),
    PAYMENT_GATEWAY_URL: gatewayBase,
    // A little gateway latency keeps charges in flight long enough to be interrupted.
    PAYMENT_LATENCY_MS: '100',
    STOCK_RETRY_BASE_MS: '50',
    PAYMENT_RETRY_BASE_MS: '50',
    // A charge whose answer was lost (the gateway killed) is looked up again this soon.
    PAYMENT_CHECK_DELAY_MS: '300',
  };
  // The gateway first (api and fulfilment call it), then the rest in parallel.
  await started(start('payment-gateway'), 60_000);
  const rest = ['projector', 'inventory', 'fulfilment', 'api'].map(start);
  await Promise.all(rest.map((p) => started(p, 90_000)));

  const adminLogin = await call(base, 'POST', '/api/v1/auth/login', {
    json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  });
  expect(adminLogin.status).toBe(200);
  adminToken = String(adminLogin.body.access_token);

  const registered = await call(base, 'POST', '/api/v1/auth/register', {
    json: {
      email: 'buyer@multi-process.test',
      password: 'buyer-password',
      first_name: 'Buyer',
      last_name: 'Many',
    },
  });
  expect(registered.status).toBe(201);
  const login = await call(base, 'POST', '/api/v1/auth/login', {
    form: { username: 'buyer@multi-process.test', password: 'buyer-password' },
  });
  expect(login.status).toBe(200);
  customerToken = String(login.body.access_token);
}, 180_000);

afterAll(async () => {
  await Promise.all(everyProc.map((p) => stop(p, 10_000)));
  await db?.drop().catch(() => undefined);
}, 60_000);

describe('five processes on one PostgreSQL', () => {
  it('points at the API only from the api process: the other roles serve no HTTP on PORT', () => {
    expect(procs.api?.output()).toContain(`API:       ${base}/api/v1`);
    for (const role of ['projector', 'inventory', 'fulfilment', 'payment-gateway']) {
      expect(procs[role]?.output()).toContain(`orderflow is running (role: ${role})`);
      expect(procs[role]?.output()).not.toContain('API:');
      expect(procs[role]?.output()).not.toContain('Health:');
    }
  });

  it('processes 30 concurrent orders placed over HTTP, one capture each', async () => {
    const initial = [100, 100, 100];
    const products = await createProducts('concurrent', initial);
    const placed = await Promise.all(
      Array.from({ length: 30 }, (_, n) => placeOrder(itemsFor(n, products))),
    );
    const ids = placed.map((o) => o.id);
    expect(new Set(ids).size).toBe(30);

    const statuses = await settle(ids, 120_000);
    const notProcessed = ids.filter((id) => statuses.get(id) !== 'processed');
    if (notProcessed.length > 0) {
      throw new Error(
        `orders not processed: ${notProcessed.map((id) => `${id}=${statuses.get(id)}`).join(', ')}\n${dumpOutputs()}`,
      );
    }

    for (const [i, productId] of products.entries()) {
      const expected = {
        on_hand: (initial[i] ?? 0) - unitsOf(placed, productId),
        reserved_quantity: 0,
      };
      expect(await inventoryReaches(productId, expected)).toMatchObject(expected);
    }

    const entries = await ledger();
    for (const id of ids) {
      const captures = entries.filter(
        (e) => e.kind === 'charge' && e.status === 'captured' && e.idempotency_key === id,
      );
      expect({ id, captures: captures.length }).toEqual({ id, captures: 1 });
    }
    expect(entries.filter((e) => e.kind === 'refund')).toEqual([]);
  }, 200_000);

  it('survives SIGKILL of the fulfilment process in the middle of a stream of orders', async () => {
    const initial = [200, 200, 200];
    const products = await createProducts('crash', initial);
    const total = 40;
    const placed: Placed[] = [];
    let inFlightAtCrash = 0;
    let placedAtHit: number | undefined;

    // The stream: orders in small concurrent waves, while the fulfilment process dies. It
    // places at least `total`, and goes on until two waves after the kill that hit.
    const stream = (async () => {
      for (let n = 0; n < 30 * total; n += 4) {
        if (n >= total && placedAtHit !== undefined && n >= placedAtHit + 8) break;
        const wave = Array.from({ length: 4 }, (_, k) => placeOrder(itemsFor(n + k, products)));
        placed.push(...(await Promise.all(wave)));
        await sleep(100);
      }
    })();

    // Kill once the first few are processed and later ones are still in flight. Both are read
    // from the event store, not the read model: a projection a few milliseconds behind would
    // show orders as open that the saga had already finished. A kill can still land when the
    // open orders' last appends are already sent (they commit without the process); then a
    // new process starts and the next kill tries again.
    const store = new Client({ connectionString: db?.connectionString });
    await store.connect();
    const killDeadline = Date.now() + 60_000;
    let kills = 0;
    while (placedAtHit === undefined && kills < 5 && Date.now() < killDeadline) {
      const { finished, open } = await progressInStore(store, [...placed]);
      if (finished.length < 3 || open.length === 0) {
        await sleep(20);
        continue;
      }
      const snapshot = [...placed];
      const old = procs.fulfilment;
      if (old) await crash(old);
      kills += 1;
      // Only the dead process finishes orders, so what is open now was open at the kill.
      inFlightAtCrash = (await progressInStore(store, snapshot)).open.length;
      if (inFlightAtCrash > 0) placedAtHit = snapshot.length;
      else await started(start('fulfilment'), 90_000);
    }
    await store.end();
    if (placedAtHit === undefined) {
      await started(start('fulfilment'), 90_000);
      await stream;
      // The kill really hit orders in flight, or the test proved nothing about the crash.
      throw new Error(`no kill of ${kills} hit an order in flight`);
    }

    // Orders keep coming with no fulfilment running; then a new one takes over.
    await sleep(1_000);
    const replacement = start('fulfilment');
    await started(replacement, 90_000);
    await stream;
    expect(placed.length).toBeGreaterThanOrEqual(total);

    const ids = placed.map((o) => o.id);
    const statuses = await settle(ids, 150_000);
    const open = ids.filter((id) => !TERMINAL.includes(statuses.get(id) ?? ''));
    if (open.length > 0) {
      throw new Error(
        `orders not terminal (${inFlightAtCrash} were in flight at the kill): ${open
          .map((id) => `${id}=${statuses.get(id)}`)
          .join(', ')}\n${dumpOutputs()}`,
      );
    }
    const byStatus = (s: string): Placed[] => placed.filter((o) => statuses.get(o.id) === s);
    const processed = byStatus('processed');
    // Enough stock and a card that always works: nothing should fail for want of either.
    expect({
      processed: processed.length,
      failed: byStatus('failed').map((o) => o.id),
      cancelled: byStatus('cancelled').map((o) => o.id),
    }).toEqual({ processed: placed.length, failed: [], cancelled: [] });

    await expectChargedOnce(placed, statuses);
    // No double reservation either.
    await expectStockConserved(products, initial, processed);
  }, 240_000);

  it('survives SIGKILL of the payment gateway with charges in flight: its books survive', async () => {
    const initial = [200, 200, 200];
    const products = await createProducts('gateway-crash', initial);
    const placed: Placed[] = [];
    const wave = async (n: number) => {
      placed.push(
        ...(await Promise.all([0, 1, 2, 3].map((k) => placeOrder(itemsFor(n + k, products))))),
      );
    };

    // Waves of orders until some are finished and later ones are in flight (the gateway holds
    // each charge 100 ms), then the kill. Card orders are tokenized at the gateway, so none
    // are placed while it is down.
    const store = new Client({ connectionString: db?.connectionString });
    await store.connect();
    let finishedAtKill: string[] = [];
    for (let n = 0; n < 400 && finishedAtKill.length === 0; n += 4) {
      await wave(n);
      const { finished, open } = await progressInStore(store, [...placed]);
      if (finished.length >= 3 && open.length > 0) {
        const gateway = procs['payment-gateway'];
        if (gateway) await crash(gateway);
        finishedAtKill = finished;
      }
    }
    await store.end();
    expect(finishedAtKill.length).toBeGreaterThanOrEqual(3);

    await sleep(500);
    await started(start('payment-gateway'), 90_000);
    for (let n = 1_000; n < 1_008; n += 4) await wave(n);

    const ids = placed.map((o) => o.id);
    const statuses = await settle(ids, 150_000);
    const open = ids.filter((id) => !TERMINAL.includes(statuses.get(id) ?? ''));
    if (open.length > 0) {
      throw new Error(`orders not terminal: ${open.join(', ')}\n${dumpOutputs()}`);
    }
    // What the gateway settled before the kill is in its books after it: the orders
    // processed by then each show their one capture.
    const entries = await ledger();
    for (const id of finishedAtKill.filter((id) => statuses.get(id) === 'processed')) {
      const captures = entries.filter(
        (e) => e.kind === 'charge' && e.status === 'captured' && e.idempotency_key === id,
      );
      expect({ id, captures: captures.length }).toEqual({ id, captures: 1 });
    }
    await expectChargedOnce(placed, statuses);
    const processed = placed.filter((o) => statuses.get(o.id) === 'processed');
    expect(processed.length).toBeGreaterThanOrEqual(finishedAtKill.length);
    await expectStockConserved(products, initial, processed);
  }, 240_000);
});
