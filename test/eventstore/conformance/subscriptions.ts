import type { RecordedEvent } from '../../../src/eventstore';
import {
  collect,
  type Collector,
  delay,
  expectStrictlyAscending,
  expectUnique,
  newEvent,
  readPrefix,
  stopAll,
  type SuiteContext,
  uniquePrefix,
  waitFor,
} from './support';

/** How long to keep watching a stopped subscription after a live one got the same events. */
const GRACE_MS = 300;

const ids = (events: readonly RecordedEvent[]): string[] => events.map((e) => e.id);

/** Section 3-4: catch-up subscriptions that turn live, and waitForAppend. */
export function subscriptionTests(ctx: SuiteContext): void {
  describe('subscribeToAll', () => {
    it('catches up on existing events, then delivers new ones live, in order', async () => {
      const prefix = uniquePrefix();
      for (let i = 0; i < 5; i++)
        await ctx.store.appendToStream(`${prefix}-${i % 2}`, [newEvent('S', { i })]);
      const c = collect(ctx.store, { fromPosition: 0n, filter: { streamPrefixes: [prefix] } });
      try {
        await c.waitForCount(5);
        for (let i = 5; i < 10; i++)
          await ctx.store.appendToStream(`${prefix}-${i % 2}`, [newEvent('S', { i })]);
        await ctx.store.appendToStream(`${prefix}-batch`, [
          newEvent('S', { i: 10 }),
          newEvent('S', { i: 11 }),
        ]);
        await c.waitForCount(12);
        expect(c.events.map((e) => (e.data as { i: number }).i)).toEqual([
          0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
        ]);
        expectStrictlyAscending(c.events.map((e) => e.position));
        expect(c.events).toEqual(await readPrefix(ctx.store, prefix));
      } finally {
        await c.stop();
      }
    });

    it('starts from the beginning when no fromPosition is given', async () => {
      const prefix = uniquePrefix();
      await ctx.store.appendToStream(`${prefix}-s`, [newEvent('Old')]);
      const c = collect(ctx.store, { filter: { streamPrefixes: [prefix] } });
      try {
        await c.waitForCount(1);
        expect(c.events[0]!.type).toBe('Old');
      } finally {
        await c.stop();
      }
    });

    it('delivers only events with position > fromPosition', async () => {
      const prefix = uniquePrefix();
      const positions: bigint[] = [];
      for (let i = 0; i < 4; i++)
        positions.push((await ctx.store.appendToStream(`${prefix}-s`, [newEvent()])).position);
      const c = collect(ctx.store, {
        fromPosition: positions[1]!,
        filter: { streamPrefixes: [prefix] },
      });
      const witness = collect(ctx.store, {
        fromPosition: positions[1]!,
        filter: { streamPrefixes: [prefix] },
      });
      try {
        await Promise.all([c.waitForCount(2), witness.waitForCount(2)]);
        const last = await ctx.store.appendToStream(`${prefix}-s`, [newEvent()]);
        await Promise.all([c.waitForCount(3), witness.waitForCount(3)]);
        expect(c.events.map((e) => e.position)).toEqual([
          positions[2],
          positions[3],
          last.position,
        ]);
      } finally {
        await stopAll([c, witness]);
      }
    });

    it('applies the filter: event types, stream prefixes, both', async () => {
      const prefix = uniquePrefix();
      const typeA = `${prefix}A`;
      const typeB = `${prefix}B`;
      const byType = collect(ctx.store, { filter: { eventTypes: [typeA] } });
      const byPrefix = collect(ctx.store, { filter: { streamPrefixes: [`${prefix}-x`] } });
      const byBoth = collect(ctx.store, {
        filter: { eventTypes: [typeB], streamPrefixes: [`${prefix}-x`] },
      });
      const everything = collect(ctx.store, { filter: { streamPrefixes: [prefix] } });
      const all = [byType, byPrefix, byBoth, everything];
      try {
        await ctx.store.appendToStream(`${prefix}-x1`, [newEvent(typeA, { n: 1 })]);
        await ctx.store.appendToStream(`${prefix}-y1`, [newEvent(typeB, { n: 2 })]);
        await ctx.store.appendToStream(`${prefix}-x2`, [newEvent(typeB, { n: 3 })]);
        await ctx.store.appendToStream(`${prefix}-y2`, [newEvent(typeA, { n: 4 })]);
        await ctx.store.appendToStream(`${prefix}-x1`, [newEvent(`${prefix}C`, { n: 5 })]);
        await ctx.store.appendToStream(`${prefix}-z`, [
          newEvent(typeA, { n: 6 }),
          newEvent(typeB, { n: 7 }),
        ]);
        await everything.waitForCount(7);
        // Every subscriber was woken for the same appends; the last one of each is n=7 or earlier.
        await Promise.all([
          byType.waitForCount(3),
          byPrefix.waitForCount(3),
          byBoth.waitForCount(1),
        ]);
        await delay(GRACE_MS);
        const ns = (c: Collector) => c.events.map((e) => (e.data as { n: number }).n);
        expect(ns(byType)).toEqual([1, 4, 6]);
        expect(ns(byPrefix)).toEqual([1, 3, 5]);
        expect(ns(byBoth)).toEqual([3]);
        expect(ns(everything)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      } finally {
        await stopAll(all);
      }
    });

    it('several subscribers each get every event once, in the same order', async () => {
      const prefix = uniquePrefix();
      const filter = { streamPrefixes: [prefix] };
      for (let i = 0; i < 10; i++)
        await ctx.store.appendToStream(`${prefix}-${i % 3}`, [newEvent()]);
      const subscribers = [0, 1, 2].map(() => collect(ctx.store, { fromPosition: 0n, filter }));
      try {
        for (let i = 0; i < 10; i++)
          await ctx.store.appendToStream(`${prefix}-${i % 3}`, [newEvent()]);
        await Promise.all(subscribers.map((s) => s.waitForCount(20)));
        const expected = await readPrefix(ctx.store, prefix);
        for (const s of subscribers) expect(ids(s.events)).toEqual(ids(expected));
      } finally {
        await stopAll(subscribers);
      }
    });

    it('calls the handler for the next event only after the previous one settled', async () => {
      const prefix = uniquePrefix();
      let inFlight = 0;
      let maxInFlight = 0;
      const c = collect(
        ctx.store,
        { fromPosition: 0n, filter: { streamPrefixes: [prefix] } },
        async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await delay(15);
          inFlight--;
        },
      );
      try {
        await ctx.store.appendToStream(`${prefix}-s`, [newEvent(), newEvent(), newEvent()]);
        await Promise.all(
          [0, 1, 2].map((i) => ctx.store.appendToStream(`${prefix}-${i}`, [newEvent()])),
        );
        await c.waitForCount(6);
        await waitFor(() => inFlight === 0, 'the last handler to settle');
        expect(maxInFlight).toBe(1);
      } finally {
        await c.stop();
      }
    });

    it('stop() ends delivery', async () => {
      const prefix = uniquePrefix();
      const filter = { streamPrefixes: [prefix] };
      const stopped = collect(ctx.store, { fromPosition: 0n, filter });
      const witness = collect(ctx.store, { fromPosition: 0n, filter });
      try {
        await ctx.store.appendToStream(`${prefix}-s`, [newEvent()]);
        await Promise.all([stopped.waitForCount(1), witness.waitForCount(1)]);
        await stopped.stop();
        await ctx.store.appendToStream(`${prefix}-s`, [newEvent()]);
        await ctx.store.appendToStream(`${prefix}-t`, [newEvent()]);
        await witness.waitForCount(3);
        await delay(GRACE_MS);
        expect(stopped.events).toHaveLength(1);
        expect(stopped.errors).toEqual([]);
      } finally {
        await stopAll([stopped, witness]);
      }
    });

    it('stop() before anything arrived resolves and delivers nothing', async () => {
      const prefix = uniquePrefix();
      const filter = { streamPrefixes: [prefix] };
      const stopped = collect(ctx.store, { filter });
      await stopped.stop();
      const witness = collect(ctx.store, { filter });
      try {
        await ctx.store.appendToStream(`${prefix}-s`, [newEvent()]);
        await witness.waitForCount(1);
        await delay(GRACE_MS);
        expect(stopped.events).toEqual([]);
      } finally {
        await witness.stop();
      }
    });

    it.each([
      ['throws', 'sync'],
      ['rejects', 'async'],
    ])(
      'a handler that %s stops the subscription and reports through onError',
      async (_label, kind) => {
        const prefix = uniquePrefix();
        const filter = { streamPrefixes: [prefix] };
        const failure = new Error('handler failed');
        const seen: number[] = [];
        const errors: unknown[] = [];
        const subscription = ctx.store.subscribeToAll(
          { fromPosition: 0n, filter, onError: (error) => errors.push(error) },
          (event) => {
            const i = (event.data as { i: number }).i;
            seen.push(i);
            if (i === 1) {
              if (kind === 'sync') throw failure;
              return Promise.reject(failure);
            }
            return Promise.resolve();
          },
        );
        const witness = collect(ctx.store, { fromPosition: 0n, filter });
        try {
          await ctx.store.appendToStream(`${prefix}-s`, [newEvent('S', { i: 0 })]);
          await waitFor(() => seen.length >= 1, 'the first event');
          await ctx.store.appendToStream(`${prefix}-s`, [newEvent('S', { i: 1 })]);
          await waitFor(() => errors.length >= 1, 'onError');
          await ctx.store.appendToStream(`${prefix}-s`, [newEvent('S', { i: 2 })]);
          await ctx.store.appendToStream(`${prefix}-s`, [newEvent('S', { i: 3 })]);
          await witness.waitForCount(4);
          await delay(GRACE_MS);
          expect(seen).toEqual([0, 1]);
          expect(errors).toEqual([failure]);
        } finally {
          await subscription.stop();
          await witness.stop();
        }
      },
    );

    it('with 8 concurrent writers x 50 appends, 3 subscribers (one joining mid-way) each see every event once, in ascending position', async () => {
      const prefix = uniquePrefix();
      const filter = { streamPrefixes: [prefix] };
      const early = [
        collect(ctx.store, { fromPosition: 0n, filter }),
        collect(ctx.store, { fromPosition: 0n, filter }),
      ];
      const subscribers = [...early];
      let done = 0;
      let late: Collector | undefined;
      try {
        await Promise.all(
          Array.from({ length: 8 }, async (_, w) => {
            for (let k = 0; k < 50; k++) {
              await ctx.store.appendToStream(`${prefix}-w${w}-${k % 5}`, [
                newEvent('Load', { w, k }),
              ]);
              done++;
              if (done === 150 && !late) {
                late = collect(ctx.store, { fromPosition: 0n, filter });
                subscribers.push(late);
              }
            }
          }),
        );
        // A marker after every write: once a subscriber has it, it has had its chance at the rest.
        await ctx.store.appendToStream(`${prefix}-marker`, [newEvent('Marker')]);
        expect(subscribers).toHaveLength(3);
        await Promise.all(subscribers.map((s) => s.waitForCount(401, 20_000)));
        const expected = await readPrefix(ctx.store, prefix);
        expect(expected).toHaveLength(401);
        for (const s of subscribers) {
          expectUnique(ids(s.events), 'event delivered');
          expectStrictlyAscending(s.events.map((e) => e.position));
          expect(ids(s.events)).toEqual(ids(expected));
        }
      } finally {
        await stopAll(subscribers);
      }
    });
  });

  describe('waitForAppend', () => {
    it('resolves promptly after an append', async () => {
      const head = await ctx.store.headPosition();
      const started = Date.now();
      const waiting = ctx.store.waitForAppend(head, 20_000);
      await delay(50);
      await ctx.store.appendToStream(`${uniquePrefix()}-s`, [newEvent()]);
      await waiting;
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('resolves promptly when events after the position already exist', async () => {
      const before = await ctx.store.headPosition();
      await ctx.store.appendToStream(`${uniquePrefix()}-s`, [newEvent()]);
      const started = Date.now();
      await ctx.store.waitForAppend(before, 20_000);
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('resolves after timeoutMs when nothing is appended', async () => {
      const head = await ctx.store.headPosition();
      const started = Date.now();
      await ctx.store.waitForAppend(head, 300);
      expect(Date.now() - started).toBeLessThan(2_300);
    });
  });
}
