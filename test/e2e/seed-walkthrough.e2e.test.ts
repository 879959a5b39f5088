import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../support/free-port';
import { call as callAt, type Res } from './processes';

/**
 * The seed walkthrough of issue 3 against the built program, started as `npm start` starts
 * it (embedded PostgreSQL, every role in one process), using only what its banner prints:
 * register, login, me, address; the admin creates three products; browse, filter by
 * category and by price range; check inventory.
 */
const ROOT = path.resolve(__dirname, '../..');
let child: ChildProcess | undefined;
let output = '';
let base = '';
let dataDir = '';

const call = (
  method: string,
  urlPath: string,
  options?: Parameters<typeof callAt>[3],
): Promise<Res> => callAt(base, method, urlPath, options);

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'orderflow-walkthrough-'));
  chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as `postgres` and must get in
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(await freePort()),
    PAYMENT_GATEWAY_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
  };
  for (const key of ['DATABASE_URL', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'JWT_SECRET'])
    delete env[key];
  child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js'), 'all'], { cwd: ROOT, env });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('Stop with Ctrl-C')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`orderflow did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  base = /API:\s+(http:\/\/\S+)\/api\/v1/.exec(output)?.[1] ?? '';
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('seed walkthrough against the started program', () => {
  it('works as the contract says', async () => {
    // The banner names the API and the administrator to log in as.
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const admin = /Admin:\s+(\S+) \/ (\S+)/.exec(output);
    expect(admin).not.toBeNull();
    const [, adminEmail = '', adminPassword = ''] = admin ?? [];

    // A customer registers, logs in with the OAuth2 form, reads and extends the profile.
    const registered = await call('POST', '/api/v1/auth/register', {
      json: {
        email: 'Jane@Example.com',
        password: 'jane-password',
        first_name: 'Jane',
        last_name: 'Doe',
        phone: '+15555550100',
      },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({
      email: 'jane@example.com',
      first_name: 'Jane',
      role: 'customer',
    });
    expect(registered.body).not.toHaveProperty('password');
    expect(registered.body).not.toHaveProperty('password_hash');

    const login = await call('POST', '/api/v1/auth/login', {
      form: { username: 'jane@example.com', password: 'jane-password' },
    });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ token_type: 'bearer' });
    const jane = String(login.body.access_token);

    const address = await call('POST', '/api/v1/users/me/addresses', {
      token: jane,
      json: {
        line1: '1 Main St',
        city: 'Springfield',
        state: 'IL',
        postal_code: '62701',
        country: 'US',
        is_default: true,
      },
    });
    expect(address.status).toBe(201);
    const me = await call('GET', '/api/v1/users/me', { token: jane });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      email: 'jane@example.com',
      addresses: [{ city: 'Springfield', is_default: true }],
    });

    // The administrator (credentials from the banner) creates three products.
    const adminLogin = await call('POST', '/api/v1/auth/login', {
      json: { email: adminEmail, password: adminPassword },
    });
    expect(adminLogin.status).toBe(200);
    const root = String(adminLogin.body.access_token);
    const products = [
      {
        name: 'Espresso Cup',
        description: 'Small porcelain cup',
        price: 8.5,
        category: 'Kitchen',
        quantity: 40,
      },
      {
        name: 'French Press',
        description: 'Glass coffee press',
        price: 34.99,
        categories: ['Kitchen', 'Coffee'],
        quantity: 5,
        reorder_threshold: 10,
      },
      {
        name: 'Coffee Beans',
        description: 'Whole beans, 1 kg',
        price: 19.0,
        category: 'Coffee',
        quantity: 100,
      },
    ];
    const ids: string[] = [];
    for (const p of products) {
      const created = await call('POST', '/api/v1/products', { token: root, json: p });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: p.name, price: p.price, currency: 'USD' });
      ids.push(String(created.body.id));
    }
    // A customer cannot.
    expect(
      (await call('POST', '/api/v1/products', { token: jane, json: products[0] })).status,
    ).toBe(403);

    // Browse, filter by category and by price range: visible as soon as the writes returned.
    const all = await call('GET', '/api/v1/products');
    expect(all.status).toBe(200);
    expect((all.body.items as Array<{ name: string }>).map((p) => p.name).sort()).toEqual([
      'Coffee Beans',
      'Espresso Cup',
      'French Press',
    ]);
    const kitchen = await call('GET', '/api/v1/products?category=Kitchen');
    expect((kitchen.body.items as Array<{ name: string }>).map((p) => p.name).sort()).toEqual([
      'Espresso Cup',
      'French Press',
    ]);
    const midPriced = await call('GET', '/api/v1/products?min_price=10&max_price=30');
    expect((midPriced.body.items as Array<{ name: string }>).map((p) => p.name)).toEqual([
      'Coffee Beans',
    ]);

    // Inventory: the French Press started under its threshold, so it is low on stock.
    const press = await call('GET', `/api/v1/inventory/${ids[1]}`);
    expect(press.status).toBe(200);
    expect(press.body).toMatchObject({
      product_id: ids[1],
      on_hand: 5,
      available_quantity: 5,
      reserved_quantity: 0,
      reorder_threshold: 10,
      low_stock: true,
    });
    const low = await call('GET', '/api/v1/inventory?low_stock=true', { token: root });
    expect((low.body.items as Array<{ product_id: string }>).map((i) => i.product_id)).toEqual([
      ids[1],
    ]);

    // Jane orders two cups with the sandbox card; the saga reserves stock, takes payment
    // through the mock gateway and confirms; the inventory reaction commits the stock.
    const order = await call('POST', '/api/v1/orders', {
      token: jane,
      json: {
        items: [{ product_id: ids[0], quantity: 2 }],
        shipping_address: {
          line1: '1 Main St',
          city: 'Springfield',
          state: 'IL',
          postal_code: '62701',
          country: 'US',
        },
        payment: {
          method: 'card',
          card_number: '4242424242424242',
          exp_month: 12,
          exp_year: 2099,
          cvc: '123',
        },
      },
    });
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ status: 'pending', total_price: 17, currency: 'USD' });
    const orderId = String(order.body.id);
    let status = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      status = String(
        (await call('GET', `/api/v1/orders/${orderId}`, { token: jane })).body.status,
      );
      if (['processed', 'failed', 'cancelled'].includes(status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('processed');
    let cups: Res = await call('GET', `/api/v1/inventory/${ids[0]}`);
    for (const deadline = Date.now() + 10_000; cups.body.on_hand !== 38 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
      cups = await call('GET', `/api/v1/inventory/${ids[0]}`);
    }
    expect(cups.body).toMatchObject({ on_hand: 38, reserved_quantity: 0, available_quantity: 38 });
    const history = await call('GET', `/api/v1/orders/${orderId}/history`, { token: jane });
    expect((history.body.items as Array<{ status: string }>).map((h) => h.status)).toEqual([
      'pending',
      'stock_reserved',
      'paid',
      'processed',
    ]);
    expect(output).not.toContain('4242424242424242');
  }, 60_000);
});
