import http from 'node:http';
import type { EventStore, Subscription } from '../../src/eventstore';
import { now, sleep } from './timing';

/** A reused kept-alive connection was reset before any response: safe to send again. */
class StaleConnectionError extends Error {
  constructor(cause: Error) {
    super(`kept-alive connection reset: ${cause.message}`, { cause });
  }
}

/** A JSON-over-HTTP client on keep-alive connections (at most `maxSockets` at once). */
export class HttpClient {
  private readonly agent: http.Agent;

  constructor(maxSockets: number) {
    // Idle connections are closed after 2 s, well before the service's 5 s keep-alive
    // timeout, which a busy event loop on either side makes late or early.
    this.agent = new http.Agent({ keepAlive: true, maxSockets, timeout: 2_000 });
  }

  /**
   * One request. A kept-alive connection the server closed as idle just as this request went
   * out on it fails with ECONNRESET before the server read anything; as Node's documentation
   * of `request.reusedSocket` advises, that one is sent again, once, on a new connection.
   */
  async request(
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    bearer?: string,
  ): Promise<{ status: number; body: unknown }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    try {
      return await this.send(method, url, headers, payload);
    } catch (error) {
      if (!(error instanceof StaleConnectionError)) throw error;
      // Another kept-alive connection of the same age may be just as stale: a new one.
      return this.send(method, url, headers, payload, false);
    }
  }

  private send(
    method: string,
    url: string,
    headers: http.OutgoingHttpHeaders,
    payload: Buffer | undefined,
    agent: http.Agent | false = this.agent,
  ): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON: keep the text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        const stale = req.reusedSocket && error.code === 'ECONNRESET';
        reject(stale ? new StaleConnectionError(error) : error);
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

async function expectStatus(
  what: string,
  status: number,
  res: Promise<{ status: number; body: unknown }>,
): Promise<unknown> {
  const r = await res;
  if (r.status !== status) {
    throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  }
  return r.body;
}

export const ADDRESS = {
  line1: '1 Bench St',
  city: 'Springfield',
  state: 'IL',
  postal_code: '62701',
  country: 'US',
};

/** What the load needs: product ids, customers' access tokens, one payment token. */
export interface Fixture {
  productIds: string[];
  customerTokens: string[];
  paymentToken: string;
}

/**
 * Seeds through the API as a shop would: `products` products with `stock` units each
 * (admin), `customers` registered and logged-in customers, and one card token from the
 * gateway (4242..., the sandbox card that always succeeds). Tokens are not single-use in
 * the mock gateway and the API accepts `{ method: 'token' }`, so every order pays with it
 * and tokenization stays out of the measured path.
 */
export async function seed(
  client: HttpClient,
  apiBase: string,
  gatewayUrl: string,
  admin: { email: string; password: string },
  options: { products: number; stock: number; customers: number },
): Promise<Fixture> {
  const login = async (email: string, password: string): Promise<string> => {
    const body = await expectStatus(
      'login',
      200,
      client.request('POST', `${apiBase}/auth/login`, { email, password }),
    );
    return (body as { access_token: string }).access_token;
  };
  const adminToken = await login(admin.email, admin.password);
  const run = `${process.pid}-${Date.now()}`;

  const productIds: string[] = [];
  for (let i = 0; i < options.products; i += 1) {
    const body = await expectStatus(
      'create product',
      201,
      client.request(
        'POST',
        `${apiBase}/products`,
        {
          name: `Bench product ${run}-${i}`,
          description: 'bench',
          price: 10 + i,
          quantity: options.stock,
          reorder_threshold: 0,
        },
        adminToken,
      ),
    );
    productIds.push((body as { id: string }).id);
  }

  const customerTokens = await Promise.all(
    Array.from({ length: options.customers }, async (_, i) => {
      const email = `bench-${run}-${i}@example.com`;
      const password = 'bench-customer-password-1';
      await expectStatus(
        'register',
        201,
        client.request('POST', `${apiBase}/auth/register`, {
          email,
          password,
          first_name: 'Bench',
          last_name: `Customer${i}`,
        }),
      );
      return login(email, password);
    }),
  );

  const token = await expectStatus(
    'tokenize card',
    201,
    client.request('POST', `${gatewayUrl}/v1/tokens`, {
      card_number: '4242424242424242',
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 3,
      cvc: '123',
    }),
  );
  return { productIds, customerTokens, paymentToken: (token as { token: string }).token };
}

/** An order of 1 to 3 distinct products, one or two units each, paid with the token. */
export function orderBody(fixture: Fixture, n: number): unknown {
  const lines = 1 + (n % 3);
  const ids = fixture.productIds;
  const items = Array.from({ length: lines }, (_, i) => ({
    product_id: ids[(n * 7 + i * 3) % ids.length]!,
    quantity: 1 + ((n + i) % 2),
  }));
  return {
    items,
    shipping_address: ADDRESS,
    payment: { method: 'token', token: fixture.paymentToken },
  };
}

/** When each order was sent, answered and reached its end, on the `now()` clock. */
export interface OrderTiming {
  sentAt: number;
  answeredAt: number;
  endedAt?: number;
  outcome?: 'processed' | 'failed';
}

/**
 * Watches the event store for OrderProcessed / OrderFailed (a catch-up subscription on
 * `order-` streams, the way the app's own consumers hear of events: exact, and cheap next
 * to polling the read model). An end seen before the POST answered is kept until it has.
 */
export class OrderTracker {
  readonly orders = new Map<string, OrderTiming>();
  private readonly early = new Map<string, { at: number; outcome: 'processed' | 'failed' }>();
  private readonly pending = new Set<string>();
  private subscription?: Subscription;
  private failure?: unknown;

  async start(store: EventStore): Promise<void> {
    const fromPosition = await store.headPosition();
    this.subscription = store.subscribeToAll(
      {
        fromPosition,
        filter: { eventTypes: ['OrderProcessed', 'OrderFailed'], streamPrefixes: ['order-'] },
        onError: (error) => (this.failure = error),
      },
      (event) => {
        const id = event.streamName.slice('order-'.length);
        const outcome = event.type === 'OrderProcessed' ? 'processed' : 'failed';
        this.end(id, now(), outcome);
        return Promise.resolve();
      },
    );
  }

  placed(id: string, sentAt: number, answeredAt: number): void {
    const timing: OrderTiming = { sentAt, answeredAt };
    this.orders.set(id, timing);
    this.pending.add(id);
    const early = this.early.get(id);
    if (early) {
      this.early.delete(id);
      this.end(id, early.at, early.outcome);
    }
  }

  private end(id: string, at: number, outcome: 'processed' | 'failed'): void {
    const timing = this.orders.get(id);
    if (!timing) {
      this.early.set(id, { at, outcome });
      return;
    }
    if (timing.endedAt !== undefined) return;
    timing.endedAt = at;
    timing.outcome = outcome;
    this.pending.delete(id);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Resolves once every placed order ended; false when `timeoutMs` passed first. */
  async drain(timeoutMs: number): Promise<boolean> {
    const until = now() + timeoutMs;
    while (this.pending.size > 0) {
      if (this.failure) throw new Error('order subscription failed', { cause: this.failure });
      if (now() > until) return false;
      await sleep(5);
    }
    return true;
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}

export interface PlacementResult {
  ids: string[];
  /** When the first order was sent (closed loop) or scheduled (open loop). */
  startedAt: number;
  /** When the last POST was answered. */
  placedUntil: number;
  /** POST latency (send → 201), ms. */
  postLatencies: number[];
  /** Open loop: how far behind schedule the sender fell at its worst, ms. */
  maxLagMs: number;
}

const post = async (
  client: HttpClient,
  apiBase: string,
  fixture: Fixture,
  n: number,
): Promise<{ id: string; answeredAt: number }> => {
  const token = fixture.customerTokens[n % fixture.customerTokens.length]!;
  const res = await client.request('POST', `${apiBase}/orders`, orderBody(fixture, n), token);
  const answeredAt = now();
  if (res.status !== 201) {
    throw new Error(`POST /orders: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  }
  return { id: (res.body as { id: string }).id, answeredAt };
};

/** `concurrency` clients each POST orders back to back for `durationMs`. */
export async function closedLoopOrders(
  client: HttpClient,
  apiBase: string,
  fixture: Fixture,
  tracker: OrderTracker,
  options: { concurrency: number; durationMs: number; firstN: number },
): Promise<PlacementResult> {
  const ids: string[] = [];
  const postLatencies: number[] = [];
  const startedAt = now();
  const until = startedAt + options.durationMs;
  let n = options.firstN;
  let placedUntil = startedAt;
  const worker = async (): Promise<void> => {
    while (now() < until) {
      const sentAt = now();
      const { id, answeredAt } = await post(client, apiBase, fixture, (n += 1));
      tracker.placed(id, sentAt, answeredAt);
      ids.push(id);
      postLatencies.push(answeredAt - sentAt);
      placedUntil = Math.max(placedUntil, answeredAt);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { ids, startedAt, placedUntil, postLatencies, maxLagMs: 0 };
}

/**
 * Open loop: order i is sent at `start + i / rate`, whether or not earlier ones were
 * answered, and its latency runs from that scheduled time (no coordinated omission).
 */
export async function openLoopOrders(
  client: HttpClient,
  apiBase: string,
  fixture: Fixture,
  tracker: OrderTracker,
  options: { ratePerSec: number; durationMs: number; firstN: number },
): Promise<PlacementResult> {
  const ids: string[] = [];
  const postLatencies: number[] = [];
  const total = Math.max(1, Math.round((options.ratePerSec * options.durationMs) / 1000));
  const interval = 1000 / options.ratePerSec;
  const startedAt = now();
  let placedUntil = startedAt;
  let maxLagMs = 0;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const scheduled = startedAt + i * interval;
    const wait = scheduled - now();
    if (wait > 1) await sleep(wait);
    maxLagMs = Math.max(maxLagMs, now() - scheduled);
    const placed = post(client, apiBase, fixture, options.firstN + i).then(({ id, answeredAt }) => {
      tracker.placed(id, scheduled, answeredAt);
      ids.push(id);
      postLatencies.push(answeredAt - scheduled);
      placedUntil = Math.max(placedUntil, answeredAt);
    });
    // Handled now, reported below: a failure while orders are still being sent must not
    // end the process as an unhandled rejection before the bench can clean up.
    placed.catch(() => undefined);
    inFlight.push(placed);
  }
  await Promise.all(inFlight);
  return { ids, startedAt, placedUntil, postLatencies, maxLagMs };
}
