import { randomBytes, randomUUID } from 'node:crypto';
import type {
  EventFilter,
  EventStore,
  ExpectedRevision,
  NewEvent,
  RecordedEvent,
  Subscription,
} from '../../../src/eventstore';
import { WrongExpectedRevisionError } from '../../../src/eventstore';

/** What a conformance factory hands out: a store and how to dispose of it. */
export interface StoreUnderTest {
  store: EventStore;
  teardown(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

/** The store a describe block's tests share; set in its beforeAll. */
export interface SuiteContext {
  readonly store: EventStore;
  readonly factory: StoreFactory;
  /** A fresh store from the factory holds no events (false for stores with system events). */
  readonly freshStoreIsEmpty: boolean;
}

/** A random name prefix, so tests sharing one store never see each other's streams. */
export function uniquePrefix(label = 'cf'): string {
  return `${label}${randomBytes(5).toString('hex')}`;
}

export function newEvent(
  type = 'Tested',
  data: unknown = {},
  metadata?: Record<string, unknown>,
): NewEvent {
  return metadata === undefined
    ? { id: randomUUID(), type, data }
    : { id: randomUUID(), type, data, metadata };
}

export function newEvents(count: number, type = 'Tested'): NewEvent[] {
  return Array.from({ length: count }, (_, i) => newEvent(type, { i }));
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. Never a fixed sleep. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The rejection of `promise`; fails the test when it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`expected a rejection, but it resolved to ${stringify(value)}`);
}

export async function expectWrongRevision(
  promise: Promise<unknown>,
  expected: { stream: string; expected: ExpectedRevision; actual: bigint | 'no_stream' },
): Promise<void> {
  const error = await rejectionOf(promise);
  if (!(error instanceof WrongExpectedRevisionError)) {
    throw new Error(`expected WrongExpectedRevisionError, got ${String(error)}`, { cause: error });
  }
  expect({ stream: error.stream, expected: error.expected, actual: error.actual }).toEqual(
    expected,
  );
}

/**
 * Every event matching `filter` after `fromPosition`, paging with a small maxCount so the
 * result does not depend on whether readAll has a default page size.
 */
export async function readAllEvents(
  store: EventStore,
  filter?: EventFilter,
  fromPosition = 0n,
): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let from = fromPosition;
  for (;;) {
    const page = await store.readAll({
      fromPosition: from,
      maxCount: 500,
      ...(filter ? { filter } : {}),
    });
    if (page.length === 0) return all;
    all.push(...page);
    from = page[page.length - 1]!.position;
  }
}

export function readPrefix(store: EventStore, prefix: string): Promise<RecordedEvent[]> {
  return readAllEvents(store, { streamPrefixes: [prefix] });
}

export function expectStrictlyAscending(positions: readonly bigint[]): void {
  for (let i = 1; i < positions.length; i++) {
    if (!(positions[i]! > positions[i - 1]!)) {
      throw new Error(
        `positions not strictly ascending at index ${i}: ${positions[i - 1]} then ${positions[i]}`,
      );
    }
  }
}

export function expectUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  const duplicates = values.filter((v) => (seen.has(v) ? true : (seen.add(v), false)));
  if (duplicates.length > 0)
    throw new Error(`${what} seen twice: ${duplicates.slice(0, 5).join(', ')}`);
}

/** A running subscription that records what it receives, in order. */
export interface Collector {
  readonly events: RecordedEvent[];
  readonly errors: unknown[];
  readonly subscription: Subscription;
  /** Resolves once `count` events have arrived; fails after `timeoutMs`. */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function collect(
  store: EventStore,
  options: { fromPosition?: bigint; filter?: EventFilter },
  onEvent?: (event: RecordedEvent) => Promise<void> | void,
): Collector {
  const events: RecordedEvent[] = [];
  const errors: unknown[] = [];
  const subscription = store.subscribeToAll(
    { ...options, onError: (error) => errors.push(error) },
    async (event) => {
      events.push(event);
      await onEvent?.(event);
    },
  );
  let stopped = false;
  return {
    events,
    errors,
    subscription,
    waitForCount: (count, timeoutMs = 10_000) =>
      waitFor(
        () => {
          if (errors.length > 0) throw new Error(`subscription failed: ${stringify(errors[0])}`);
          return events.length >= count;
        },
        `${count} events (have ${events.length})`,
        timeoutMs,
      ),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await subscription.stop();
    },
  };
}

/** Stops every collector, even when some stop() fails, then rethrows the first failure. */
export async function stopAll(collectors: readonly Collector[]): Promise<void> {
  const results = await Promise.allSettled(collectors.map((c) => c.stop()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export function stringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  } catch {
    return String(value);
  }
}

/**
 * The store as the suite sees it: reads of $all (readAll, readPage, headPosition) first
 * wait, bounded, until the store's head has reached every position this wrapper has seen
 * acknowledged. Why: in the PostgreSQL adapter $all is held back while ANY write
 * transaction in the database cluster is in flight (by design: readers never pass an open
 * transaction), and a shared test server runs other suites, benchmarks and psql sessions at
 * the same time. Waiting for the head keeps every $all assertion exact (the events must
 * then all be there) without depending on a quiet cluster. Stream reads are not wrapped:
 * readStream must reflect acknowledged appends at once.
 */
export function readYourWrites(store: EventStore, timeoutMs = 20_000): EventStore {
  let acknowledged = 0n;
  const settle = async (): Promise<void> => {
    const target = acknowledged;
    if (target === 0n) return;
    await waitFor(
      async () => (await store.headPosition()) >= target,
      `the store's head to reach acknowledged position ${target}`,
      timeoutMs,
    );
  };
  return {
    appendToStream: async (stream, events, options) => {
      const result = await store.appendToStream(stream, events, options);
      if (result.position > acknowledged) acknowledged = result.position;
      return result;
    },
    readStream: (stream, options) => store.readStream(stream, options),
    readAll: async (options) => {
      await settle();
      return store.readAll(options);
    },
    readPage: async (options) => {
      await settle();
      return store.readPage(options);
    },
    headPosition: async () => {
      await settle();
      return store.headPosition();
    },
    subscribeToAll: (options, handler) => store.subscribeToAll(options, handler),
    waitForAppend: (afterPosition, ms) => store.waitForAppend(afterPosition, ms),
    close: () => store.close(),
  };
}
