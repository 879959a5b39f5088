import type { AppendResult } from '../../../src/eventstore';
import { WrongExpectedRevisionError } from '../../../src/eventstore';
import {
  expectStrictlyAscending,
  newEvent,
  readPrefix,
  type SuiteContext,
  uniquePrefix,
} from './support';

function split(outcomes: PromiseSettledResult<AppendResult>[]) {
  return {
    won: outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : [])),
    lost: outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : [])),
  };
}

/** Section 5: concurrent appends lose nothing and admit exactly one winner of a race. */
export function concurrencyTests(ctx: SuiteContext): void {
  describe('concurrent appends', () => {
    it('50 concurrent any appends to one stream: 50 events, revisions 0..49, gapless', async () => {
      const prefix = uniquePrefix();
      const stream = `${prefix}-s`;
      const events = Array.from({ length: 50 }, (_, i) => newEvent('Concurrent', { i }));
      const results = await Promise.all(
        events.map((e) => ctx.store.appendToStream(stream, [e], { expectedRevision: 'any' })),
      );

      const revisions = results
        .map((r) => r.nextRevision)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(revisions).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)));

      const stored = await ctx.store.readStream(stream);
      expect(stored.map((e) => e.revision)).toEqual(
        Array.from({ length: 50 }, (_, i) => BigInt(i)),
      );
      expect(new Set(stored.map((e) => e.id))).toEqual(new Set(events.map((e) => e.id)));
      expectStrictlyAscending(stored.map((e) => e.position));
      // Each caller was told where its own event landed.
      events.forEach((e, i) => {
        const landed = stored.find((s) => s.id === e.id)!;
        expect(landed.revision).toBe(results[i]!.nextRevision);
        expect(landed.position).toBe(results[i]!.position);
      });
      expect(await readPrefix(ctx.store, prefix)).toEqual(stored);
    });

    it('50 concurrent appends expecting the same revision: exactly one wins, 49 get WrongExpectedRevisionError', async () => {
      const prefix = uniquePrefix();
      const stream = `${prefix}-s`;
      await ctx.store.appendToStream(stream, [newEvent('Start')]);
      const events = Array.from({ length: 50 }, (_, i) => newEvent('Racer', { i }));
      const { won, lost } = split(
        await Promise.allSettled(
          events.map((e) => ctx.store.appendToStream(stream, [e], { expectedRevision: 0n })),
        ),
      );
      expect(won).toHaveLength(1);
      expect(won[0]!.nextRevision).toBe(1n);
      expect(lost).toHaveLength(49);
      for (const error of lost) {
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect((error as WrongExpectedRevisionError).actual).toBe(1n);
        expect((error as WrongExpectedRevisionError).expected).toBe(0n);
      }
      const stored = await ctx.store.readStream(stream);
      expect(stored).toHaveLength(2);
      expect(await readPrefix(ctx.store, prefix)).toHaveLength(2);
    });

    it('50 concurrent no_stream appends creating one stream: exactly one wins', async () => {
      const prefix = uniquePrefix();
      const stream = `${prefix}-s`;
      const { won, lost } = split(
        await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) =>
            ctx.store.appendToStream(
              stream,
              [newEvent('Creator', { i }), newEvent('Second', { i })],
              {
                expectedRevision: 'no_stream',
              },
            ),
          ),
        ),
      );
      expect(won).toHaveLength(1);
      expect(won[0]!.nextRevision).toBe(1n);
      expect(lost).toHaveLength(49);
      for (const error of lost) {
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect((error as WrongExpectedRevisionError).actual).toBe(1n);
      }
      const stored = await ctx.store.readStream(stream);
      expect(stored.map((e) => e.type)).toEqual(['Creator', 'Second']);
      expect(await readPrefix(ctx.store, prefix)).toHaveLength(2);
    });

    it('multi-event appends racing on one stream never interleave within the stream', async () => {
      const prefix = uniquePrefix();
      const stream = `${prefix}-s`;
      const batches = Array.from({ length: 20 }, (_, b) =>
        Array.from({ length: 5 }, (_, i) => newEvent('Batch', { b, i })),
      );
      const results = await Promise.all(
        batches.map((batch) => ctx.store.appendToStream(stream, batch)),
      );
      const stored = await ctx.store.readStream(stream);
      expect(stored).toHaveLength(100);
      batches.forEach((batch, b) => {
        const last = results[b]!.nextRevision;
        const slice = stored.slice(Number(last) - 4, Number(last) + 1);
        expect(slice.map((e) => e.id)).toEqual(batch.map((e) => e.id));
        expect(slice[4]!.position).toBe(results[b]!.position);
      });
    });

    it('50 concurrent appends to 50 streams all succeed with distinct positions', async () => {
      const prefix = uniquePrefix();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          ctx.store.appendToStream(`${prefix}-${i}`, [newEvent()], {
            expectedRevision: 'no_stream',
          }),
        ),
      );
      for (const r of results) expect(r.nextRevision).toBe(0n);
      expect(new Set(results.map((r) => r.position)).size).toBe(50);
      const stored = await readPrefix(ctx.store, prefix);
      expect(stored).toHaveLength(50);
      expect(new Set(stored.map((e) => e.position))).toEqual(
        new Set(results.map((r) => r.position)),
      );
    });
  });
}
