import type { EventStore, RecordedEvent } from '../../../src/eventstore';
import {
  expectStrictlyAscending,
  newEvent,
  readAllEvents,
  readPrefix,
  type SuiteContext,
  uniquePrefix,
} from './support';

const revisions = (events: RecordedEvent[]): bigint[] => events.map((e) => e.revision);

/** A stream of five events E0..E4 (one per append). */
async function fiveEventStream(store: EventStore): Promise<string> {
  const stream = `${uniquePrefix()}-five`;
  for (let i = 0; i < 5; i++) await store.appendToStream(stream, [newEvent(`E${i}`, { i })]);
  return stream;
}

/** Section 4: readStream, readAll (positions, filters, paging) and headPosition. */
export function readTests(ctx: SuiteContext): void {
  describe('readStream', () => {
    it('returns [] for a stream that does not exist, in both directions', async () => {
      const stream = `${uniquePrefix()}-missing`;
      expect(await ctx.store.readStream(stream)).toEqual([]);
      expect(await ctx.store.readStream(stream, { direction: 'backwards' })).toEqual([]);
      expect(await ctx.store.readStream(stream, { fromRevision: 3n })).toEqual([]);
    });

    it('reads forwards by default, every field filled in', async () => {
      const stream = await fiveEventStream(ctx.store);
      const events = await ctx.store.readStream(stream);
      expect(revisions(events)).toEqual([0n, 1n, 2n, 3n, 4n]);
      expect(events.map((e) => e.type)).toEqual(['E0', 'E1', 'E2', 'E3', 'E4']);
      expect(events.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
      for (const e of events) {
        expect(e.streamName).toBe(stream);
        expect(typeof e.position).toBe('bigint');
        expect(typeof e.revision).toBe('bigint');
      }
      // Within a stream, global order is revision order.
      expectStrictlyAscending(events.map((e) => e.position));
    });

    it('reads forwards from a revision, with maxCount', async () => {
      const stream = await fiveEventStream(ctx.store);
      expect(revisions(await ctx.store.readStream(stream, { fromRevision: 2n }))).toEqual([
        2n,
        3n,
        4n,
      ]);
      expect(revisions(await ctx.store.readStream(stream, { fromRevision: 0n }))).toHaveLength(5);
      expect(revisions(await ctx.store.readStream(stream, { maxCount: 2 }))).toEqual([0n, 1n]);
      expect(
        revisions(await ctx.store.readStream(stream, { fromRevision: 1n, maxCount: 2 })),
      ).toEqual([1n, 2n]);
      expect(
        revisions(await ctx.store.readStream(stream, { fromRevision: 3n, maxCount: 10 })),
      ).toEqual([3n, 4n]);
      expect(await ctx.store.readStream(stream, { fromRevision: 5n })).toEqual([]);
      expect(await ctx.store.readStream(stream, { fromRevision: 50n })).toEqual([]);
    });

    it('reads backwards from the end or from a revision, with maxCount', async () => {
      const stream = await fiveEventStream(ctx.store);
      const back = (options: { fromRevision?: bigint; maxCount?: number }) =>
        ctx.store.readStream(stream, { direction: 'backwards', ...options }).then(revisions);
      expect(await back({})).toEqual([4n, 3n, 2n, 1n, 0n]);
      expect(await back({ fromRevision: 2n })).toEqual([2n, 1n, 0n]);
      expect(await back({ fromRevision: 0n })).toEqual([0n]);
      expect(await back({ maxCount: 2 })).toEqual([4n, 3n]);
      expect(await back({ fromRevision: 3n, maxCount: 2 })).toEqual([3n, 2n]);
      expect(await back({ fromRevision: 4n })).toEqual([4n, 3n, 2n, 1n, 0n]);
    });

    it('forwards and backwards return the same events', async () => {
      const stream = await fiveEventStream(ctx.store);
      const forwards = await ctx.store.readStream(stream);
      const backwards = await ctx.store.readStream(stream, { direction: 'backwards' });
      expect([...backwards].reverse()).toEqual(forwards);
    });

    it('does not mix in streams whose name extends this one', async () => {
      const stream = `${uniquePrefix()}-x`;
      await ctx.store.appendToStream(stream, [newEvent()]);
      await ctx.store.appendToStream(`${stream}-longer`, [newEvent()]);
      await ctx.store.appendToStream(`${stream}`.toUpperCase(), [newEvent()]);
      expect(await ctx.store.readStream(stream)).toHaveLength(1);
    });
  });

  describe('readAll', () => {
    it('returns every event with position > fromPosition, ascending (fromPosition is exclusive)', async () => {
      const prefix = uniquePrefix();
      const appended: bigint[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await ctx.store.appendToStream(`${prefix}-${i % 3}`, [newEvent('Read', { i })]);
        appended.push(r.position);
      }
      const all = await ctx.store.readAll({ filter: { streamPrefixes: [prefix] } });
      expect(all.map((e) => e.position)).toEqual(appended);
      expect(all.map((e) => e.data)).toEqual([0, 1, 2, 3, 4, 5].map((i) => ({ i })));

      const fromThird = await ctx.store.readAll({
        fromPosition: appended[2]!,
        filter: { streamPrefixes: [prefix] },
      });
      expect(fromThird.map((e) => e.position)).toEqual(appended.slice(3));
      // A position between two events (positions need not be dense).
      const fromBetween = await ctx.store.readAll({
        fromPosition: appended[2]! + 1n,
        filter: { streamPrefixes: [prefix] },
      });
      expect(fromBetween.map((e) => e.position)).toEqual(appended.slice(3));
      expect(
        await ctx.store.readAll({
          fromPosition: appended[5]!,
          filter: { streamPrefixes: [prefix] },
        }),
      ).toEqual([]);
    });

    it('starts from the beginning by default and sees everything in ascending order', async () => {
      const prefix = uniquePrefix();
      const r = await ctx.store.appendToStream(`${prefix}-s`, [newEvent()]);
      const everything = await readAllEvents(ctx.store);
      expectStrictlyAscending(everything.map((e) => e.position));
      expect(everything.some((e) => e.position === r.position)).toBe(true);
      const firstPage = await ctx.store.readAll({ maxCount: 5 });
      expect(firstPage).toEqual(everything.slice(0, 5));
    });

    it('maxCount limits the page; paging from the last position visits each event once', async () => {
      const prefix = uniquePrefix();
      for (let i = 0; i < 7; i++)
        await ctx.store.appendToStream(`${prefix}-${i % 2}`, [newEvent('P', { i })]);
      const filter = { streamPrefixes: [prefix] };
      const page = await ctx.store.readAll({ maxCount: 3, filter });
      expect(page.map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);

      const seen: RecordedEvent[] = [];
      let from = 0n;
      for (let guard = 0; guard < 10; guard++) {
        const next = await ctx.store.readAll({ fromPosition: from, maxCount: 3, filter });
        expect(next.length).toBeLessThanOrEqual(3);
        if (next.length === 0) break;
        seen.push(...next);
        from = next[next.length - 1]!.position;
      }
      expect(seen.map((e) => e.data)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => ({ i })));
    });

    it('filters by event type, by stream prefix, and by both (every given list must match)', async () => {
      const prefix = uniquePrefix();
      const typeA = `${prefix}TypeA`;
      const typeB = `${prefix}TypeB`;
      const other = uniquePrefix();
      await ctx.store.appendToStream(`${prefix}-order-1`, [newEvent(typeA, { n: 1 })]);
      await ctx.store.appendToStream(`${prefix}-order-1`, [newEvent(typeB, { n: 2 })]);
      await ctx.store.appendToStream(`${prefix}-stock-1`, [newEvent(typeA, { n: 3 })]);
      await ctx.store.appendToStream(`${other}-order-1`, [newEvent(typeA, { n: 4 })]);
      await ctx.store.appendToStream(`${prefix}-pay-1`, [newEvent(typeB, { n: 5 })]);
      const ns = async (filter: Parameters<EventStore['readAll']>[0]) =>
        (await ctx.store.readAll(filter)).map((e) => (e.data as { n: number }).n);

      expect(await ns({ filter: { eventTypes: [typeA] } })).toEqual([1, 3, 4]);
      expect(await ns({ filter: { eventTypes: [typeA, typeB] } })).toEqual([1, 2, 3, 4, 5]);
      expect(await ns({ filter: { streamPrefixes: [`${prefix}-order-`] } })).toEqual([1, 2]);
      expect(
        await ns({ filter: { streamPrefixes: [`${prefix}-order-`, `${prefix}-pay-`] } }),
      ).toEqual([1, 2, 5]);
      expect(
        await ns({ filter: { eventTypes: [typeA], streamPrefixes: [`${prefix}-order-`] } }),
      ).toEqual([1]);
      expect(
        await ns({ filter: { eventTypes: [typeB], streamPrefixes: [`${prefix}-stock-`] } }),
      ).toEqual([]);
      expect(await ns({ filter: { eventTypes: [`${prefix}Nothing`] } })).toEqual([]);
      expect(await readPrefix(ctx.store, uniquePrefix('none'))).toEqual([]);
    });

    it('a stream prefix is literal: LIKE wildcards in it match only themselves', async () => {
      const prefix = uniquePrefix();
      await ctx.store.appendToStream(`${prefix}a_b-1`, [newEvent('T', { n: 1 })]);
      await ctx.store.appendToStream(`${prefix}axb-1`, [newEvent('T', { n: 2 })]);
      await ctx.store.appendToStream(`${prefix}a%c-1`, [newEvent('T', { n: 3 })]);
      await ctx.store.appendToStream(`${prefix}aXYZc-1`, [newEvent('T', { n: 4 })]);
      await ctx.store.appendToStream(`${prefix}a\\d-1`, [newEvent('T', { n: 5 })]);
      const ns = async (p: string) =>
        (await ctx.store.readAll({ filter: { streamPrefixes: [p] } })).map(
          (e) => (e.data as { n: number }).n,
        );
      expect(await ns(`${prefix}a_b`)).toEqual([1]);
      expect(await ns(`${prefix}a%c`)).toEqual([3]);
      expect(await ns(`${prefix}a\\d`)).toEqual([5]);
      expect(await ns(`${prefix}a`)).toEqual([1, 2, 3, 4, 5]);
    });

    it('readPage pages through a filtered range and says where to resume', async () => {
      const prefix = uniquePrefix();
      const positions: bigint[] = [];
      for (let i = 0; i < 5; i++) {
        positions.push(
          (await ctx.store.appendToStream(`${prefix}-s`, [newEvent('Pg', { i })])).position,
        );
      }
      const filter = { streamPrefixes: [prefix] };
      const full = await ctx.store.readPage({ fromPosition: 0n, maxCount: 2, filter });
      expect(full.events.map((e) => e.position)).toEqual(positions.slice(0, 2));
      expect(full.nextPosition).toBe(positions[1]);

      const rest = await ctx.store.readPage({
        fromPosition: full.nextPosition,
        maxCount: 10,
        filter,
      });
      expect(rest.events.map((e) => e.position)).toEqual(positions.slice(2));
      // A page that is not full may resume past what it skipped, never before its last event.
      expect(rest.nextPosition >= positions[4]!).toBe(true);

      const later = await ctx.store.appendToStream(`${prefix}-s`, [newEvent('Pg', { i: 5 })]);
      const after = await ctx.store.readPage({
        fromPosition: rest.nextPosition,
        maxCount: 10,
        filter,
      });
      expect(after.events.map((e) => e.position)).toEqual([later.position]);
    });
  });

  describe('headPosition', () => {
    it('is the position of the newest readable event', async () => {
      const prefix = uniquePrefix();
      const result = await ctx.store.appendToStream(`${prefix}-s`, [newEvent(), newEvent()]);
      const head = await ctx.store.headPosition();
      expect(typeof head).toBe('bigint');
      expect(head >= result.position).toBe(true);
      expect(await ctx.store.readAll({ fromPosition: head })).toEqual([]);
      const everything = await readAllEvents(ctx.store);
      expect(everything[everything.length - 1]!.position).toBe(head);
    });

    it('moves forward with appends', async () => {
      const before = await ctx.store.headPosition();
      const result = await ctx.store.appendToStream(`${uniquePrefix()}-s`, [newEvent()]);
      const after = await ctx.store.headPosition();
      expect(after > before).toBe(true);
      expect(after >= result.position).toBe(true);
    });
  });
}
