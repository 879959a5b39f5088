import { randomUUID } from 'node:crypto';
import { InvalidEventStoreInputError } from '../../../src/eventstore';
import { newEvent, readPrefix, type SuiteContext, uniquePrefix, UUID_PATTERN } from './support';

/** Section 3: what each recorded event carries, and that it comes back as it went in. */
export function eventContentTests(ctx: SuiteContext): void {
  describe('recorded events', () => {
    it('round-trips nested JSON data and metadata, unicode included', async () => {
      const stream = `${uniquePrefix()}-ünïcødé-订单-😀`;
      const data = {
        orderId: randomUUID(),
        items: [
          { sku: 'A-1', quantity: 2, price: { amount: 1999, currency: 'EUR' } },
          { sku: 'B-2', quantity: 1, tags: [], notes: null },
        ],
        nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]]] } },
        text: 'Grüße 👋 مرحبا שלום 日本語 e\u0301 "quoted" \\backslash\\ \n\t newline',
        numbers: [0, -1, 3.14159, 1e-7, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
        flags: { yes: true, no: false },
        empty: {},
        '': 'empty key',
        'key with spaces and ünïcode': 1,
      };
      const metadata = {
        correlationId: randomUUID(),
        causationId: randomUUID(),
        userId: 'user-ß',
        schemaVersion: 2,
        timestamp: '2026-01-02T03:04:05.678Z',
        extra: { nested: ['x', { y: null }] },
      };
      const event = newEvent('OrderPlaced✓', data, metadata);
      await ctx.store.appendToStream(stream, [event]);
      const [stored] = await ctx.store.readStream(stream);
      expect(stored).toBeDefined();
      expect(stored!.id).toBe(event.id);
      expect(stored!.type).toBe('OrderPlaced✓');
      expect(stored!.streamName).toBe(stream);
      expect(stored!.revision).toBe(0n);
      expect(stored!.data).toEqual(data);
      expect(stored!.metadata).toEqual(metadata);
      // The same through readAll.
      const [viaAll] = await ctx.store.readAll({ filter: { streamPrefixes: [stream] } });
      expect(viaAll).toEqual(stored);
    });

    it('accepts any JSON value as data: array, string, number, boolean, null', async () => {
      const stream = `${uniquePrefix()}-values`;
      const values: unknown[] = [
        [1, 'two', { three: 3 }],
        'just a string',
        42,
        0.5,
        true,
        false,
        null,
        [],
      ];
      await ctx.store.appendToStream(
        stream,
        values.map((v) => newEvent('Value', v)),
      );
      const stored = await ctx.store.readStream(stream);
      expect(stored.map((e) => e.data)).toEqual(values);
    });

    it('metadata defaults to {} when not given', async () => {
      const stream = `${uniquePrefix()}-meta`;
      await ctx.store.appendToStream(stream, [{ type: 'NoMeta', data: { a: 1 } }]);
      const [stored] = await ctx.store.readStream(stream);
      expect(stored!.metadata).toEqual({});
    });

    it('returns the given ids and generates distinct uuids when none is given', async () => {
      const stream = `${uniquePrefix()}-ids`;
      const given = randomUUID();
      await ctx.store.appendToStream(stream, [
        { type: 'A', data: {} },
        { id: given, type: 'B', data: {} },
        { type: 'C', data: {} },
      ]);
      const stored = await ctx.store.readStream(stream);
      expect(stored[1]!.id).toBe(given);
      for (const e of stored) expect(e.id).toMatch(UUID_PATTERN);
      expect(new Set(stored.map((e) => e.id)).size).toBe(3);
    });

    it('createdAt is a valid Date close to now', async () => {
      const stream = `${uniquePrefix()}-time`;
      await ctx.store.appendToStream(stream, [newEvent()]);
      const [stored] = await ctx.store.readStream(stream);
      expect(stored!.createdAt).toBeInstanceOf(Date);
      expect(Number.isNaN(stored!.createdAt.getTime())).toBe(false);
      // Generous: the database clock may differ a little from this process's.
      expect(Math.abs(stored!.createdAt.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    });

    it.each([
      ['a NUL character', 'nul \u0000 inside'],
      ['a lone surrogate', 'lone \ud800 surrogate'],
    ])(
      'data with %s (valid JSON that PostgreSQL jsonb cannot hold) round-trips or is rejected with InvalidEventStoreInputError, writing nothing',
      async (_label, awkward) => {
        const prefix = uniquePrefix();
        const stream = `${prefix}-awkward`;
        const events = [newEvent('Fine', { ok: 1 }), newEvent('Awkward', { text: awkward })];
        let outcome: unknown = 'appended';
        try {
          await ctx.store.appendToStream(stream, events);
        } catch (error) {
          outcome = error;
        }
        if (outcome === 'appended') {
          const stored = await ctx.store.readStream(stream);
          expect(stored.map((e) => e.data)).toEqual([{ ok: 1 }, { text: awkward }]);
        } else {
          if (!(outcome instanceof InvalidEventStoreInputError)) {
            throw new Error(
              `expected a round trip or InvalidEventStoreInputError, got ${String(outcome)} ` +
                `(${(outcome as { code?: string }).code ?? 'no code'})`,
            );
          }
          expect(await ctx.store.readStream(stream)).toEqual([]);
          expect(await readPrefix(ctx.store, prefix)).toEqual([]);
        }
      },
    );

    it.each([
      ['a stream name', true],
      ['an event type', false],
    ])(
      '%s with a lone surrogate round-trips exactly or is rejected with InvalidEventStoreInputError',
      async (_label, inStreamName) => {
        const prefix = uniquePrefix();
        const stream = inStreamName ? `${prefix}-lone-\ud800` : `${prefix}-s`;
        const type = inStreamName ? 'Fine' : 'Lone\udc00Type';
        let outcome: unknown = 'appended';
        try {
          await ctx.store.appendToStream(stream, [newEvent(type)]);
        } catch (error) {
          outcome = error;
        }
        if (outcome === 'appended') {
          const stored = await readPrefix(ctx.store, prefix);
          expect(stored.map((e) => [e.streamName, e.type])).toEqual([[stream, type]]);
          expect(await ctx.store.readStream(stream)).toHaveLength(1);
        } else {
          expect(outcome).toBeInstanceOf(InvalidEventStoreInputError);
          expect(await readPrefix(ctx.store, prefix)).toEqual([]);
        }
      },
    );
  });
}
