import { randomUUID } from 'node:crypto';
import { DuplicateEventIdError, InvalidEventStoreInputError } from '../../../src/eventstore';
import {
  newEvent,
  newEvents,
  readPrefix,
  rejectionOf,
  type SuiteContext,
  uniquePrefix,
} from './support';

/** Section 5: idempotency by event id; no event id is ever stored twice. */
export function idempotencyTests(ctx: SuiteContext): void {
  describe('idempotency by event id', () => {
    it('re-appending with the expected revision first used, or any, writes nothing and returns the original result', async () => {
      const prefix = uniquePrefix();
      const stream = `${prefix}-s`;
      const ab = newEvents(2);
      const c = [newEvent('C')];
      const d = [newEvent('D')];
      const e = [newEvent('E')];
      const r1 = await ctx.store.appendToStream(stream, ab, { expectedRevision: 'no_stream' });
      const r2 = await ctx.store.appendToStream(stream, c, { expectedRevision: 1n });
      const r3 = await ctx.store.appendToStream(stream, d, { expectedRevision: 'stream_exists' });
      const r4 = await ctx.store.appendToStream(stream, e, { expectedRevision: 'any' });
      expect([r1.nextRevision, r2.nextRevision, r3.nextRevision, r4.nextRevision]).toEqual([
        1n,
        2n,
        3n,
        4n,
      ]);
      const before = await readPrefix(ctx.store, prefix);
      expect(before).toHaveLength(5);

      // The stream has moved on since each was first written: the original result still comes back.
      expect(await ctx.store.appendToStream(stream, ab, { expectedRevision: 'no_stream' })).toEqual(
        r1,
      );
      expect(await ctx.store.appendToStream(stream, ab, { expectedRevision: 'any' })).toEqual(r1);
      expect(await ctx.store.appendToStream(stream, ab)).toEqual(r1);
      expect(await ctx.store.appendToStream(stream, c, { expectedRevision: 1n })).toEqual(r2);
      expect(await ctx.store.appendToStream(stream, c, { expectedRevision: 'any' })).toEqual(r2);
      expect(
        await ctx.store.appendToStream(stream, d, { expectedRevision: 'stream_exists' }),
      ).toEqual(r3);
      expect(await ctx.store.appendToStream(stream, d, { expectedRevision: 'any' })).toEqual(r3);
      expect(await ctx.store.appendToStream(stream, e, { expectedRevision: 'any' })).toEqual(r4);

      expect(await ctx.store.readStream(stream)).toHaveLength(5);
      expect(await readPrefix(ctx.store, prefix)).toEqual(before);
    });

    it('an immediate repeat of the latest append is a no-op too', async () => {
      const prefix = uniquePrefix();
      const stream = `${prefix}-s`;
      const events = newEvents(3);
      const first = await ctx.store.appendToStream(stream, events, {
        expectedRevision: 'no_stream',
      });
      const again = await ctx.store.appendToStream(stream, events, {
        expectedRevision: 'no_stream',
      });
      expect(again).toEqual(first);
      expect(await readPrefix(ctx.store, prefix)).toHaveLength(3);
      const next = await ctx.store.appendToStream(stream, [newEvent()], { expectedRevision: 2n });
      expect(next.nextRevision).toBe(3n);
    });

    it('the same id in another stream: DuplicateEventIdError, nothing written', async () => {
      const prefix = uniquePrefix();
      const event = newEvent('Once');
      await ctx.store.appendToStream(`${prefix}-a`, [event]);
      await ctx.store.appendToStream(`${prefix}-b`, [newEvent('Existing')]);

      const missing = await rejectionOf(
        ctx.store.appendToStream(`${prefix}-c`, [newEvent('Other'), event]),
      );
      expect(missing).toBeInstanceOf(DuplicateEventIdError);
      expect((missing as DuplicateEventIdError).stream).toBe(`${prefix}-c`);
      expect((missing as DuplicateEventIdError).eventId).toBe(event.id);

      const existing = await rejectionOf(ctx.store.appendToStream(`${prefix}-b`, [event]));
      expect(existing).toBeInstanceOf(DuplicateEventIdError);
      expect((existing as DuplicateEventIdError).eventId).toBe(event.id);

      expect(await ctx.store.readStream(`${prefix}-c`)).toEqual([]);
      expect(await ctx.store.readStream(`${prefix}-b`)).toHaveLength(1);
      expect(await readPrefix(ctx.store, prefix)).toHaveLength(2);
    });

    it('the same ids with other events in the same stream: DuplicateEventIdError, nothing written', async () => {
      const prefix = uniquePrefix();
      const stream = `${prefix}-s`;
      const [a, b] = newEvents(2) as [ReturnType<typeof newEvent>, ReturnType<typeof newEvent>];
      await ctx.store.appendToStream(stream, [a, b]);
      const fresh = newEvent('Fresh');
      for (const attempt of [
        [a, b, fresh],
        [fresh, a],
        [b, a],
      ]) {
        const error = await rejectionOf(ctx.store.appendToStream(stream, attempt));
        expect(error).toBeInstanceOf(DuplicateEventIdError);
      }
      expect((await ctx.store.readStream(stream)).map((e) => e.id)).toEqual([a.id, b.id]);
      expect(await readPrefix(ctx.store, prefix)).toHaveLength(2);
    });

    it('the same id twice in one append is refused, nothing written', async () => {
      const prefix = uniquePrefix();
      const event = newEvent();
      const error = await rejectionOf(
        ctx.store.appendToStream(`${prefix}-s`, [event, { ...event }]),
      );
      expect(
        error instanceof DuplicateEventIdError || error instanceof InvalidEventStoreInputError,
      ).toBe(true);
      expect(await readPrefix(ctx.store, prefix)).toEqual([]);
    });

    it('a fresh id appended concurrently to ten streams is stored once', async () => {
      const prefix = uniquePrefix();
      const id = randomUUID();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          ctx.store.appendToStream(`${prefix}-${i}`, [{ id, type: 'Race', data: { i } }]),
        ),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const l of lost) expect(l.reason).toBeInstanceOf(DuplicateEventIdError);
      const stored = await readPrefix(ctx.store, prefix);
      expect(stored.map((e) => e.id)).toEqual([id]);
    });

    it('the same append repeated concurrently is written once and every caller gets its result', async () => {
      const prefix = uniquePrefix();
      const stream = `${prefix}-s`;
      await ctx.store.appendToStream(stream, [newEvent()]);
      const events = newEvents(3);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => ctx.store.appendToStream(stream, events)),
      );
      for (const r of results) expect(r).toEqual(results[0]);
      expect(results[0]!.nextRevision).toBe(3n);
      expect(await ctx.store.readStream(stream)).toHaveLength(4);
    });
  });
}
