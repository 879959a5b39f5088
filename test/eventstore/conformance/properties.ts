import fc from 'fast-check';
import type { AppendResult, EventStore, ExpectedRevision, NewEvent } from '../../../src/eventstore';
import { DuplicateEventIdError, WrongExpectedRevisionError } from '../../../src/eventstore';
import {
  expectStrictlyAscending,
  expectUnique,
  newEvent,
  readPrefix,
  rejectionOf,
  type SuiteContext,
  uniquePrefix,
} from './support';

const NUM_RUNS = 25;
const STREAMS = 3;

type Kind = 'any' | 'no_stream' | 'stream_exists' | { exact: number } | 'current';
type Op =
  | { op: 'append'; stream: number; kind: Kind; count: number }
  | { op: 'repeat'; pick: number; withAny: boolean }
  | { op: 'duplicate'; pick: number; stream: number };

const absoluteKind: fc.Arbitrary<Kind> = fc.oneof(
  fc.constantFrom<Kind>('any', 'no_stream', 'stream_exists'),
  fc.record({ exact: fc.integer({ min: 0, max: 5 }) }),
);

const appendOp = (kind: fc.Arbitrary<Kind>): fc.Arbitrary<Op> =>
  fc.record({
    op: fc.constant('append' as const),
    stream: fc.integer({ min: 0, max: STREAMS - 1 }),
    kind,
    count: fc.integer({ min: 1, max: 3 }),
  });

const repeatOp: fc.Arbitrary<Op> = fc.record({
  op: fc.constant('repeat' as const),
  pick: fc.nat(),
  withAny: fc.boolean(),
});

interface Ack {
  stream: string;
  events: NewEvent[];
  expected: ExpectedRevision;
  result: AppendResult;
}

function expectedOf(kind: Kind, current: bigint | undefined): ExpectedRevision {
  if (kind === 'current') return current ?? 'no_stream';
  if (typeof kind === 'object') return BigInt(kind.exact);
  return kind;
}

/** A failed append's error must agree with what it expected (whatever the interleaving). */
function checkWrongRevision(error: unknown, stream: string, expected: ExpectedRevision): void {
  if (!(error instanceof WrongExpectedRevisionError)) throw error;
  expect(error.stream).toBe(stream);
  expect(error.expected).toBe(expected);
  if (expected === 'any') throw new Error(`an 'any' append failed: ${error.message}`);
  if (expected === 'no_stream') expect(typeof error.actual).toBe('bigint');
  if (expected === 'stream_exists') expect(error.actual).toBe('no_stream');
  if (typeof expected === 'bigint') expect(error.actual).not.toBe(expected);
}

/** The store's streams and $all agree exactly with the acknowledged appends, nothing more. */
async function verifyAgainstAcks(
  store: EventStore,
  prefix: string,
  acks: readonly Ack[],
  failedIds: readonly string[],
): Promise<void> {
  for (let s = 0; s < STREAMS; s++) {
    const stream = `${prefix}-s${s}`;
    const mine = acks
      .filter((a) => a.stream === stream)
      .sort((a, b) => (a.result.nextRevision < b.result.nextRevision ? -1 : 1));
    const stored = await store.readStream(stream);
    const expectedEvents = mine.flatMap((a) => a.events);
    expect(stored.map((e) => e.id)).toEqual(expectedEvents.map((e) => e.id));
    expect(stored.map((e) => e.data)).toEqual(expectedEvents.map((e) => e.data));
    expect(stored.map((e) => e.revision)).toEqual(stored.map((_, i) => BigInt(i)));
    for (const ack of mine) {
      const first = ack.result.nextRevision - BigInt(ack.events.length) + 1n;
      expect(stored[Number(first)]!.id).toBe(ack.events[0]!.id);
      expect(stored[Number(ack.result.nextRevision)]!.position).toBe(ack.result.position);
      if (ack.expected === 'no_stream') expect(first).toBe(0n);
      if (ack.expected === 'stream_exists') expect(first > 0n).toBe(true);
      if (typeof ack.expected === 'bigint') expect(first).toBe(ack.expected + 1n);
    }
  }

  const all = await readPrefix(store, prefix);
  expectStrictlyAscending(all.map((e) => e.position));
  expectUnique(
    all.map((e) => e.id),
    'event id in readAll',
  );
  const ackedIds = acks.flatMap((a) => a.events.map((e) => e.id));
  expect(new Set(all.map((e) => e.id))).toEqual(new Set(ackedIds));
  expect(all).toHaveLength(ackedIds.length);
  const failed = new Set(failedIds);
  expect(all.filter((e) => failed.has(e.id))).toEqual([]);
  // $all preserves each stream's revision order.
  const lastRevision = new Map<string, bigint>();
  for (const e of all) {
    const previous = lastRevision.get(e.streamName);
    if (previous !== undefined) expect(e.revision).toBe(previous + 1n);
    lastRevision.set(e.streamName, e.revision);
  }
}

/** Section 6: fast-check properties over random interleavings of appends. */
export function propertyTests(ctx: SuiteContext): void {
  describe('properties (fast-check)', () => {
    it('concurrent clients: folded streams equal the acknowledged appends; $all is ordered and complete', async () => {
      const clients = fc.array(
        fc.array(
          fc.oneof(
            { arbitrary: appendOp(absoluteKind), weight: 4 },
            { arbitrary: repeatOp, weight: 1 },
          ),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        { minLength: 2, maxLength: 4 },
      );
      await fc.assert(
        fc.asyncProperty(clients, async (programs) => {
          const prefix = uniquePrefix('pc');
          const acks: Ack[] = [];
          const failedIds: string[] = [];
          await Promise.all(
            programs.map(async (program, client) => {
              const mine: Ack[] = [];
              for (const [step, op] of program.entries()) {
                if (op.op === 'repeat') {
                  const original = mine[op.pick % Math.max(mine.length, 1)];
                  if (!original) continue;
                  const expected = op.withAny ? 'any' : original.expected;
                  const again = await ctx.store.appendToStream(original.stream, original.events, {
                    expectedRevision: expected,
                  });
                  expect(again).toEqual(original.result);
                  continue;
                }
                if (op.op !== 'append') continue;
                const stream = `${prefix}-s${op.stream}`;
                const events = Array.from({ length: op.count }, (_, i) =>
                  newEvent('Prop', { client, step, i }),
                );
                const expected = expectedOf(op.kind, undefined);
                try {
                  const result = await ctx.store.appendToStream(stream, events, {
                    expectedRevision: expected,
                  });
                  mine.push({ stream, events, expected, result });
                } catch (error) {
                  checkWrongRevision(error, stream, expected);
                  failedIds.push(...events.map((e) => e.id!));
                }
              }
              acks.push(...mine);
            }),
          );
          await verifyAgainstAcks(ctx.store, prefix, acks, failedIds);
        }),
        { numRuns: NUM_RUNS, interruptAfterTimeLimit: 60_000 },
      );
    }, 90_000);

    it('one client: every outcome matches a model of expected revisions, repeats and duplicate ids', async () => {
      const ops = fc.array(
        fc.oneof(
          { arbitrary: appendOp(fc.oneof(absoluteKind, fc.constant<Kind>('current'))), weight: 5 },
          { arbitrary: repeatOp, weight: 1 },
          {
            arbitrary: fc.record({
              op: fc.constant('duplicate' as const),
              pick: fc.nat(),
              stream: fc.integer({ min: 0, max: STREAMS - 1 }),
            }),
            weight: 1,
          },
        ),
        { minLength: 1, maxLength: 15 },
      );
      await fc.assert(
        fc.asyncProperty(ops, async (program) => {
          const prefix = uniquePrefix('pm');
          const model = new Map<string, bigint>();
          const acks: Ack[] = [];
          const failedIds: string[] = [];
          for (const [step, op] of program.entries()) {
            if (op.op === 'repeat' || op.op === 'duplicate') {
              const original = acks[op.pick % Math.max(acks.length, 1)];
              if (!original) continue;
              if (op.op === 'repeat') {
                const expected = op.withAny ? 'any' : original.expected;
                const again = await ctx.store.appendToStream(original.stream, original.events, {
                  expectedRevision: expected,
                });
                expect(again).toEqual(original.result);
              } else {
                // An id already stored, sent with a fresh event to a stream (maybe its own).
                const stream = `${prefix}-s${op.stream}`;
                const fresh = newEvent('Fresh');
                const attempt = ctx.store.appendToStream(stream, [fresh, original.events[0]!]);
                await expect(attempt).rejects.toBeInstanceOf(DuplicateEventIdError);
                failedIds.push(fresh.id!);
              }
              continue;
            }
            const stream = `${prefix}-s${op.stream}`;
            const current = model.get(stream);
            const expected = expectedOf(op.kind, current);
            const events = Array.from({ length: op.count }, (_, i) =>
              newEvent('Model', { step, i }),
            );
            const succeeds =
              expected === 'any' ||
              (expected === 'no_stream' && current === undefined) ||
              (expected === 'stream_exists' && current !== undefined) ||
              (typeof expected === 'bigint' && current === expected);
            const attempt = ctx.store.appendToStream(stream, events, {
              expectedRevision: expected,
            });
            if (succeeds) {
              const result = await attempt;
              const next = (current ?? -1n) + BigInt(op.count);
              expect(result.nextRevision).toBe(next);
              model.set(stream, next);
              acks.push({ stream, events, expected, result });
            } else {
              const error = await rejectionOf(attempt);
              if (!(error instanceof WrongExpectedRevisionError)) throw error;
              expect(error.actual).toBe(current ?? 'no_stream');
              failedIds.push(...events.map((e) => e.id!));
            }
          }
          await verifyAgainstAcks(ctx.store, prefix, acks, failedIds);
          // Results increase with the order appends were acknowledged in.
          expectStrictlyAscending(acks.map((a) => a.result.position));
        }),
        { numRuns: NUM_RUNS, interruptAfterTimeLimit: 60_000 },
      );
    }, 90_000);
  });
}
