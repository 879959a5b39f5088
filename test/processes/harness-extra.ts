import type { NewEvent, EventStore } from '../../src/eventstore';
import {
  startFulfilment,
  startInventoryReactions,
  type FulfilmentConfig,
} from '../../src/processes';
import type { PaymentClient } from '../../src/processes/payment-client';
import type { Harness } from './harness';

/**
 * Starts the fulfilment and inventory runners on the harness's database with other parts
 * (a wrapped store, another payment client) than `Harness.start` uses. Stop them with the
 * returned function before starting others: the reactors take an advisory lock.
 */
export function startRunnersWith(
  h: Harness,
  parts: { store?: EventStore; paymentClient?: PaymentClient; config?: Partial<FulfilmentConfig> },
): () => Promise<void> {
  const store = parts.store ?? h.store;
  const runner = { pollMs: 100, acquireRetryMs: 50, retry: { baseDelayMs: 20 } };
  const fulfilment = startFulfilment({
    pool: h.pool,
    store,
    paymentClient: parts.paymentClient ?? h.client,
    config: {
      stockRetryAttempts: 3,
      stockRetryBaseMs: 20,
      retryPollMs: 20,
      paymentCheckDelayMs: 50,
      ...parts.config,
    },
    runner,
  });
  const reactions = startInventoryReactions({ pool: h.pool, store, runner });
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([fulfilment.stop(), reactions.stop()]);
  };
}

export interface Gate {
  /** Resolves once an append was held back at the gate. */
  held: Promise<void>;
  open(): void;
}

/**
 * The store, except that every append first awaits `before` with its stream and events; the
 * rest reaches the store as it is.
 */
export function beforeAppends(
  store: EventStore,
  before: (stream: string, events: readonly NewEvent[]) => Promise<void>,
): EventStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'appendToStream') {
        return async (...args: Parameters<EventStore['appendToStream']>) => {
          await before(args[0], args[1]);
          return target.appendToStream(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/**
 * The store, except that appends containing an event `shouldHold` picks wait until the gate
 * is opened: a way to stop the saga between two of its steps.
 */
export function gatedStore(
  store: EventStore,
  shouldHold: (stream: string, events: readonly NewEvent[]) => boolean,
): { store: EventStore; gate: Gate } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let markHeld!: () => void;
  const held = new Promise<void>((r) => (markHeld = r));
  const wrapped = beforeAppends(store, async (stream, events) => {
    if (shouldHold(stream, events)) {
      markHeld();
      await opened;
    }
  });
  return { store: wrapped, gate: { held, open } };
}

/** Polls `condition` every `intervalMs` until it holds; fails naming `message` at the deadline. */
export async function pollUntil(
  condition: () => Promise<boolean>,
  message: string,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for: ${message}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** mulberry32-style seeded generator, for a reproducible mix of orders. */
export function seeded(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return Math.floor((((r ^ (r >>> 14)) >>> 0) / 4294967296) * n);
  };
}
