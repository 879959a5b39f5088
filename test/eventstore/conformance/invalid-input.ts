import { randomUUID } from 'node:crypto';
import type { NewEvent } from '../../../src/eventstore';
import { InvalidEventStoreInputError } from '../../../src/eventstore';
import { newEvent, readPrefix, rejectionOf, type SuiteContext, uniquePrefix } from './support';

const MiB = 1024 * 1024;

function circular(): unknown {
  const node: Record<string, unknown> = { name: 'loop' };
  node.self = { parent: node };
  return node;
}

/**
 * Each case: the stream (given the test's prefix) and the events. `good` is a valid event,
 * so cases with several events also prove the append is all-or-nothing.
 */
const invalidCases: Array<[string, (prefix: string) => string, () => NewEvent[]]> = [
  ['an empty stream name', () => '', () => [newEvent()]],
  ['a stream name of 10,000 characters', (p) => `${p}-${'x'.repeat(10_000)}`, () => [newEvent()]],
  ['an empty event list', (p) => `${p}-s`, () => []],
  ['data holding a BigInt', (p) => `${p}-s`, () => [newEvent('Big', { amount: 10n })]],
  ['data that is a BigInt', (p) => `${p}-s`, () => [newEvent('Big', 10n)]],
  ['circular data', (p) => `${p}-s`, () => [newEvent('Loop', circular())]],
  ['metadata holding a BigInt', (p) => `${p}-s`, () => [newEvent('M', {}, { n: 1n })]],
  [
    'circular metadata',
    (p) => `${p}-s`,
    () => [newEvent('M', {}, circular() as Record<string, unknown>)],
  ],
  ['an event over 1 MiB', (p) => `${p}-s`, () => [newEvent('Huge', { blob: 'x'.repeat(MiB + 1) })]],
  [
    'an event over 1 MiB in UTF-8 (400,000 three-byte characters)',
    (p) => `${p}-s`,
    () => [newEvent('Huge', { blob: '€'.repeat(400_000) })],
  ],
  [
    'an event id that is not a uuid',
    (p) => `${p}-s`,
    () => [{ id: 'not-a-uuid', type: 'T', data: {} }],
  ],
  ['an empty event id', (p) => `${p}-s`, () => [{ id: '', type: 'T', data: {} }]],
  [
    'an event id one character short of a uuid',
    (p) => `${p}-s`,
    () => [{ id: randomUUID().slice(0, 35), type: 'T', data: {} }],
  ],
  ['an empty event type', (p) => `${p}-s`, () => [{ id: randomUUID(), type: '', data: {} }]],
  // Atomicity: one bad event among good ones writes none of them.
  [
    'a BigInt in the last of three events',
    (p) => `${p}-s`,
    () => [newEvent(), newEvent(), newEvent('B', [1n])],
  ],
  [
    'an over-large event among good ones',
    (p) => `${p}-s`,
    () => [newEvent(), newEvent('Huge', 'y'.repeat(MiB + 10)), newEvent()],
  ],
  [
    'a malformed id among good events',
    (p) => `${p}-s`,
    () => [newEvent(), { id: 'x', type: 'T', data: {} }],
  ],
  ['an empty type after a good event', (p) => `${p}-s`, () => [newEvent(), { type: '', data: {} }]],
];

/** Section 5: bad input gets InvalidEventStoreInputError and writes nothing. */
export function invalidInputTests(ctx: SuiteContext): void {
  describe('invalid input', () => {
    it.each(invalidCases)(
      'rejects %s with InvalidEventStoreInputError and writes nothing',
      async (_label, streamOf, eventsOf) => {
        const prefix = uniquePrefix();
        const stream = streamOf(prefix);
        const headBefore = await ctx.store.headPosition();

        for (const expectedRevision of ['any', 'no_stream'] as const) {
          const error = await rejectionOf(
            ctx.store.appendToStream(stream, eventsOf(), { expectedRevision }),
          );
          expect(error).toBeInstanceOf(InvalidEventStoreInputError);
          const field = (error as InvalidEventStoreInputError).field;
          expect(typeof field).toBe('string');
          expect(field.length).toBeGreaterThan(0);
        }

        expect(await readPrefix(ctx.store, prefix)).toEqual([]);
        expect(await ctx.store.headPosition()).toBe(headBefore);
      },
    );

    it('rejects bad input on an existing stream without touching it', async () => {
      const prefix = uniquePrefix();
      const stream = `${prefix}-s`;
      await ctx.store.appendToStream(stream, [newEvent()]);
      const error = await rejectionOf(
        ctx.store.appendToStream(stream, [newEvent(), newEvent('Bad', { n: 1n })], {
          expectedRevision: 0n,
        }),
      );
      expect(error).toBeInstanceOf(InvalidEventStoreInputError);
      expect(await ctx.store.readStream(stream)).toHaveLength(1);
      const next = await ctx.store.appendToStream(stream, [newEvent()], { expectedRevision: 0n });
      expect(next.nextRevision).toBe(1n);
    });

    it('accepts what is merely large: a 200-character stream name and a 900 KiB event', async () => {
      const prefix = uniquePrefix();
      const longName = `${prefix}-${'n'.repeat(200)}`;
      await ctx.store.appendToStream(longName, [newEvent()]);
      expect(await ctx.store.readStream(longName)).toHaveLength(1);

      const blob = 'z'.repeat(900 * 1024);
      await ctx.store.appendToStream(`${prefix}-big`, [newEvent('Big', { blob })]);
      const [stored] = await ctx.store.readStream(`${prefix}-big`);
      expect((stored!.data as { blob: string }).blob).toBe(blob);
    });
  });
}
