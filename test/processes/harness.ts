import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { Pool } from 'pg';
import { handleCommand } from '../../src/commands/command-handler';
import { fold } from '../../src/domain/decider';
import {
  inventoryDecider,
  type InventoryState,
} from '../../src/domain/inventory/inventory.decider';
import { inventoryStream, type InventoryEvent } from '../../src/domain/inventory/inventory.events';
import { orderDecider, type OrderState } from '../../src/domain/orders/order.decider';
import { orderStream, type OrderEvent } from '../../src/domain/orders/order.events';
import { createPostgresEventStore, type EventStore } from '../../src/eventstore';
import { migrate } from '../../src/infra/migrations';
import {
  createPaymentGateway,
  type GatewayOptions,
  type PaymentGateway,
  type RunningGateway,
} from '../../src/payment-gateway';
import {
  processMigrations,
  startFulfilment,
  startInventoryReactions,
  type FulfilmentConfig,
  type RunningFulfilment,
  type RunningInventoryReactions,
} from '../../src/processes';
import { createPaymentClient, type PaymentClient } from '../../src/processes/payment-client';
import { createTestDatabase, type TestDatabase } from '../support/database';

const CARD = { exp_month: 12, exp_year: 2099, cvc: '123' };

/** A fresh database with the processes' tables, the event store, a mock gateway on port 0. */
export interface Harness {
  db: TestDatabase;
  store: EventStore;
  pool: Pool;
  gateway: PaymentGateway;
  client: PaymentClient;
  /**
   * Starts the fulfilment process and the inventory reactions; `inventoryStore`: the event
   * store the inventory reactions see (a test's wrapper around `store`).
   */
  start(config?: Partial<FulfilmentConfig>, inventoryStore?: EventStore): void;
  stopRunners(): Promise<void>;
  close(): Promise<void>;
}

export async function createHarness(
  gatewayOptions: GatewayOptions = {},
  clientTimeoutMs = 5_000,
): Promise<Harness> {
  const db = await createTestDatabase();
  const store = await createPostgresEventStore({ connectionString: db.connectionString });
  const pool = new Pool({ connectionString: db.connectionString, max: 10 });
  pool.on('error', () => undefined);
  await migrate(pool, [processMigrations]);
  const gateway = createPaymentGateway(pool, gatewayOptions);
  const server: RunningGateway = await gateway.listen(0, '127.0.0.1');
  const client = createPaymentClient({
    baseUrl: server.url,
    timeoutMs: clientTimeoutMs,
    attempts: 4,
    baseDelayMs: 10,
  });
  let running: [RunningFulfilment, RunningInventoryReactions] | undefined;
  const stopRunners = async () => {
    if (!running) return;
    const [a, b] = running;
    running = undefined;
    await Promise.all([a.stop(), b.stop()]);
  };
  return {
    db,
    store,
    pool,
    gateway,
    client,
    start(config = {}, inventoryStore = store) {
      if (running) throw new Error('runners already started');
      const runner = { pollMs: 100, acquireRetryMs: 50, retry: { baseDelayMs: 20 } };
      running = [
        startFulfilment({
          pool,
          store,
          paymentClient: client,
          config: {
            stockRetryAttempts: 3,
            stockRetryBaseMs: 20,
            retryPollMs: 20,
            paymentCheckDelayMs: 50,
            ...config,
          },
          runner,
        }),
        startInventoryReactions({ pool, store: inventoryStore, runner }),
      ];
    },
    stopRunners,
    close: async () => {
      await stopRunners();
      await server.close();
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
}

const now = () => new Date().toISOString();

/** A product with `quantity` units on hand. */
export async function receiveStock(h: Harness, quantity: number, productId = randomUUID()) {
  const result = await handleCommand(h.store, inventoryDecider, {
    streamName: inventoryStream(productId),
    command: {
      type: 'ReceiveStock',
      productId,
      sku: `SKU-${productId.slice(0, 8)}`,
      quantity,
      reorderThreshold: 0,
      now: now(),
    },
  });
  if (E.isLeft(result)) throw new Error(JSON.stringify(result.left));
  return productId;
}

export async function tokenFor(h: Harness, cardNumber: string): Promise<string> {
  const result = await h.client.tokenize({ card_number: cardNumber, ...CARD });
  if (result.kind !== 'tokenized') throw new Error(`tokenize: ${JSON.stringify(result)}`);
  return result.token;
}

/** Places an order (as the orders API would: token row first, then PlaceOrder). */
export async function placeOrder(
  h: Harness,
  lines: { productId: string; quantity: number; unitPrice?: number }[],
  cardNumber: string,
): Promise<string> {
  const orderId = randomUUID();
  await h.pool.query('INSERT INTO order_payment_tokens (order_id, token) VALUES ($1, $2)', [
    orderId,
    await tokenFor(h, cardNumber),
  ]);
  const result = await handleCommand(h.store, orderDecider, {
    streamName: orderStream(orderId),
    command: {
      type: 'PlaceOrder',
      orderId,
      userId: randomUUID(),
      items: lines.map((l) => ({ ...l, unitPrice: l.unitPrice ?? 1_000 })),
      currency: 'EUR',
      shippingAddress: {
        line1: '1 Main St',
        city: 'Springfield',
        state: 'IL',
        postal_code: '62701',
        country: 'US',
      },
      payment: { method: 'card', brand: 'visa', last4: cardNumber.slice(-4) },
      now: now(),
    },
    commandId: `place:${orderId}`,
  });
  if (E.isLeft(result)) throw new Error(JSON.stringify(result.left));
  return orderId;
}

export async function cancelOrder(h: Harness, orderId: string): Promise<void> {
  const result = await handleCommand(h.store, orderDecider, {
    streamName: orderStream(orderId),
    command: { type: 'CancelOrder', orderId, reason: 'changed mind', by: 'customer', now: now() },
  });
  if (E.isLeft(result)) throw new Error(JSON.stringify(result.left));
}

export async function orderState(h: Harness, orderId: string): Promise<OrderState> {
  const events = await h.store.readStream(orderStream(orderId));
  return fold(
    orderDecider,
    events.map((e) => ({ type: e.type, data: e.data }) as OrderEvent),
  );
}

export async function orderEventTypes(h: Harness, orderId: string): Promise<string[]> {
  return (await h.store.readStream(orderStream(orderId))).map((e) => e.type);
}

export async function inventory(h: Harness, productId: string): Promise<InventoryState> {
  const events = await h.store.readStream(inventoryStream(productId));
  return fold(
    inventoryDecider,
    events.map((e) => ({ type: e.type, data: e.data }) as InventoryEvent),
  );
}

export async function paymentEventTypes(h: Harness, orderId: string): Promise<string[]> {
  return (await h.store.readStream(`payment-${orderId}`)).map((e) => e.type);
}

/** Waits until `condition` holds (polling), failing with `message` after `timeoutMs`. */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  message: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for: ${message}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function waitForStatus(
  h: Harness,
  orderId: string,
  status: OrderState['status'],
): Promise<OrderState> {
  let last: OrderState | undefined;
  await waitFor(async () => {
    last = await orderState(h, orderId);
    return last.status === status;
  }, `order ${orderId} to be ${status}`);
  return last!;
}

/** Waits until nothing of the product is reserved any more, and returns its state. */
export async function waitForNoReservation(h: Harness, productId: string) {
  let state: InventoryState | undefined;
  await waitFor(async () => {
    state = await inventory(h, productId);
    return state.reserved === 0;
  }, `no stock reserved for ${productId}`);
  return state!;
}
