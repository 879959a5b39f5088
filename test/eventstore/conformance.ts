/**
 * The event store conformance suite: one set of tests every `EventStore` adapter passes
 * (issue 2, sections 4-6; DESIGN.md section 3). Written from the specification, not from an
 * implementation. An adapter's test file calls `eventStoreConformance(name, factory)`.
 *
 * The factory may be called several times: once for the store most tests share (each test
 * uses streams under its own random prefix) and again where a test needs a store of its own.
 */
import type { EventStore } from '../../src/eventstore';
import { appendTests } from './conformance/appends';
import { concurrencyTests } from './conformance/concurrency';
import { eventContentTests } from './conformance/events';
import { idempotencyTests } from './conformance/idempotency';
import { invalidInputTests } from './conformance/invalid-input';
import { propertyTests } from './conformance/properties';
import { readTests } from './conformance/reads';
import { subscriptionTests } from './conformance/subscriptions';
import {
  collect,
  expectUnique,
  newEvent,
  readAllEvents,
  readYourWrites,
  type StoreUnderTest,
  type SuiteContext,
  uniquePrefix,
} from './conformance/support';

export type { StoreFactory, StoreUnderTest } from './conformance/support';

export interface ConformanceOptions {
  /** A store fresh from the factory holds no events. Default true (false for EventStoreDB, whose $all has system events). */
  freshStoreIsEmpty?: boolean;
}

export function eventStoreConformance(
  name: string,
  factory: () => Promise<{ store: EventStore; teardown(): Promise<void> }>,
  options: ConformanceOptions = {},
): void {
  describe(`EventStore conformance: ${name}`, () => {
    let shared: StoreUnderTest | undefined;
    const ctx: SuiteContext = {
      get store(): EventStore {
        if (!shared) throw new Error('the shared store was not created (see beforeAll)');
        return shared.store;
      },
      factory,
      freshStoreIsEmpty: options.freshStoreIsEmpty ?? true,
    };

    beforeAll(async () => {
      const created = await factory();
      shared = { store: readYourWrites(created.store), teardown: () => created.teardown() };
    });
    afterAll(async () => {
      await shared?.teardown();
    });

    lifecycleTests(ctx);
    appendTests(ctx);
    readTests(ctx);
    eventContentTests(ctx);
    idempotencyTests(ctx);
    invalidInputTests(ctx);
    concurrencyTests(ctx);
    subscriptionTests(ctx);
    propertyTests(ctx);

    // Last, over everything the tests above wrote.
    describe('whole store', () => {
      it('no event id is stored twice', async () => {
        const everything = await readAllEvents(ctx.store);
        expect(everything.length).toBeGreaterThan(100);
        expectUnique(
          everything.map((e) => e.id),
          'event id',
        );
      });
    });
  });
}

/** Tests that need a store of their own. */
function lifecycleTests(ctx: SuiteContext): void {
  describe('a store of its own', () => {
    // Stores whose $all starts with system events opt out through `freshStoreIsEmpty`.
    const itWhenEmpty = ctx.freshStoreIsEmpty ? it : it.skip;
    itWhenEmpty(
      'a fresh store is empty: headPosition 0n, readAll [], then its first event',
      async () => {
        const own = await ctx.factory();
        const store = readYourWrites(own.store);
        const teardown = () => own.teardown();
        try {
          expect(await store.headPosition()).toBe(0n);
          expect(await store.readAll()).toEqual([]);
          expect(await store.readAll({ fromPosition: 0n, maxCount: 10 })).toEqual([]);
          const c = collect(store, { fromPosition: 0n });
          try {
            const result = await store.appendToStream('first-1', [newEvent('First')]);
            expect(result.nextRevision).toBe(0n);
            expect(result.position > 0n).toBe(true);
            expect(await store.headPosition()).toBe(result.position);
            await c.waitForCount(1);
            expect(c.events.map((e) => e.position)).toEqual([result.position]);
          } finally {
            await c.stop();
          }
        } finally {
          await teardown();
        }
      },
    );

    it('close() resolves while a subscription is live', async () => {
      const own = await ctx.factory();
      const store = own.store;
      const prefix = uniquePrefix();
      const c = collect(store, { filter: { streamPrefixes: [prefix] } });
      await store.appendToStream(`${prefix}-s`, [newEvent()]);
      await c.waitForCount(1);
      const started = Date.now();
      await own.teardown();
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(c.errors).toEqual([]);
    });
  });
}
