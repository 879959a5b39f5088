import type { ExpectedRevision } from '../../../src/eventstore';
import { WrongExpectedRevisionError } from '../../../src/eventstore';
import {
  expectWrongRevision,
  newEvent,
  newEvents,
  readPrefix,
  type SuiteContext,
  uniquePrefix,
} from './support';

/** Section 4-5: 0-based revisions and every expected-revision case, succeeding and failing. */
export function appendTests(ctx: SuiteContext): void {
  describe('appendToStream: revisions and expected revisions', () => {
    it('numbers revisions from 0: nextRevision after the first event is 0n', async () => {
      const stream = `${uniquePrefix()}-s`;
      const first = await ctx.store.appendToStream(stream, [newEvent()]);
      expect(first.nextRevision).toBe(0n);
      const second = await ctx.store.appendToStream(stream, newEvents(2));
      expect(second.nextRevision).toBe(2n);
      expect(second.position > first.position).toBe(true);

      const events = await ctx.store.readStream(stream);
      expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      // AppendResult.position is the position of the last event the append wrote.
      expect(events[0]!.position).toBe(first.position);
      expect(events[2]!.position).toBe(second.position);
    });

    it('defaults to expectedRevision any', async () => {
      const stream = `${uniquePrefix()}-s`;
      await ctx.store.appendToStream(stream, [newEvent()]);
      const result = await ctx.store.appendToStream(stream, [newEvent()]);
      expect(result.nextRevision).toBe(1n);
    });

    // existing: how many events the stream holds before the append (0 = it does not exist).
    const succeeding: Array<[string, ExpectedRevision, number, number, bigint]> = [
      ['no_stream on a missing stream', 'no_stream', 0, 1, 0n],
      ['no_stream on a missing stream, 3 events', 'no_stream', 0, 3, 2n],
      ['any on a missing stream', 'any', 0, 1, 0n],
      ['any on an existing stream', 'any', 2, 1, 2n],
      ['stream_exists on an existing stream', 'stream_exists', 2, 2, 3n],
      ['the exact last revision', 1n, 2, 1, 2n],
      ['the exact last revision 0n', 0n, 1, 3, 3n],
    ];
    it.each(succeeding)('succeeds: %s', async (_label, expected, existing, count, next) => {
      const prefix = uniquePrefix();
      const stream = `${prefix}-s`;
      if (existing > 0) await ctx.store.appendToStream(stream, newEvents(existing));
      const events = newEvents(count);
      const result = await ctx.store.appendToStream(stream, events, { expectedRevision: expected });
      expect(result.nextRevision).toBe(next);
      const stored = await ctx.store.readStream(stream);
      expect(stored.map((e) => e.id).slice(existing)).toEqual(events.map((e) => e.id));
      expect(stored.map((e) => e.revision)).toEqual(
        Array.from({ length: existing + count }, (_, i) => BigInt(i)),
      );
    });

    const failing: Array<[string, ExpectedRevision, number, bigint | 'no_stream']> = [
      ['no_stream on an existing stream', 'no_stream', 2, 1n],
      ['no_stream on a stream of one event', 'no_stream', 1, 0n],
      ['stream_exists on a missing stream', 'stream_exists', 0, 'no_stream'],
      ['an exact revision on a missing stream', 0n, 0, 'no_stream'],
      ['a higher exact revision on a missing stream', 5n, 0, 'no_stream'],
      ['a lower exact revision', 0n, 3, 2n],
      ['a higher exact revision', 3n, 3, 2n],
    ];
    it.each(failing)(
      'fails with WrongExpectedRevisionError carrying the actual revision: %s',
      async (_label, expected, existing, actual) => {
        const prefix = uniquePrefix();
        const stream = `${prefix}-s`;
        if (existing > 0) await ctx.store.appendToStream(stream, newEvents(existing));
        const before = await readPrefix(ctx.store, prefix);

        await expectWrongRevision(
          ctx.store.appendToStream(stream, newEvents(2), { expectedRevision: expected }),
          { stream, expected, actual },
        );

        // Nothing written.
        expect(await ctx.store.readStream(stream)).toHaveLength(existing);
        expect(await readPrefix(ctx.store, prefix)).toEqual(before);
      },
    );

    it('WrongExpectedRevisionError is an Error with its name and a message naming the stream', async () => {
      const stream = `${uniquePrefix()}-s`;
      await ctx.store.appendToStream(stream, [newEvent()]);
      try {
        await ctx.store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' });
        throw new Error('append should have failed');
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect((error as Error).name).toBe('WrongExpectedRevisionError');
        expect((error as Error).message).toContain(stream);
      }
    });

    it('a stream is usable after a failed append: the right expected revision then succeeds', async () => {
      const stream = `${uniquePrefix()}-s`;
      await ctx.store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' });
      await expectWrongRevision(
        ctx.store.appendToStream(stream, [newEvent()], { expectedRevision: 5n }),
        { stream, expected: 5n, actual: 0n },
      );
      const result = await ctx.store.appendToStream(stream, [newEvent()], { expectedRevision: 0n });
      expect(result.nextRevision).toBe(1n);
    });

    it('appends to different streams are independent', async () => {
      const prefix = uniquePrefix();
      const a = await ctx.store.appendToStream(`${prefix}-a`, newEvents(3), {
        expectedRevision: 'no_stream',
      });
      const b = await ctx.store.appendToStream(`${prefix}-b`, [newEvent()], {
        expectedRevision: 'no_stream',
      });
      expect(a.nextRevision).toBe(2n);
      expect(b.nextRevision).toBe(0n);
      expect(b.position > a.position).toBe(true);
    });
  });
}
