import type { EventFilter, ReadPage, RecordedEvent } from '../../src/eventstore';
import {
  matches,
  SharedReads,
  type PageRequest,
  type RawPage,
} from '../../src/eventstore/postgres/shared-reads';

// The store's reads, in memory: `log` holds every event, `horizon` what a read may see.
function fakeStore(initial: number, pageSize = 1000, windowEvents?: number) {
  let count = initial;
  const event = (i: number): RecordedEvent => ({
    id: `e${i + 1}`,
    type: i % 2 === 0 ? 'Even' : 'Odd',
    data: { i: i + 1 },
    metadata: {},
    streamName: i % 3 === 0 ? `order-${i + 1}` : `inventory-${i + 1}`,
    revision: 0n,
    position: BigInt(i + 1),
    createdAt: new Date(0),
  });
  const log: RecordedEvent[] = Array.from({ length: count }, (_, i) => event(i));
  /** Appends `n` events: the horizon moves past them. */
  const append = (n: number) => {
    for (let k = 0; k < n; k++) log.push(event(count++));
  };
  const calls = { shared: [] as bigint[], alone: [] as PageRequest[] };
  const visible = (from: bigint) => log.filter((e) => e.position > from);
  const reads = new SharedReads(
    (request): Promise<ReadPage> => {
      calls.alone.push(request);
      const events = visible(request.from).filter((e) => matches(request.filter, e));
      const page = request.limit === null ? events : events.slice(0, request.limit);
      const full = request.limit !== null && page.length >= request.limit;
      const last = page[page.length - 1];
      return Promise.resolve({
        events: page.map((e) => ({ ...e })),
        nextPosition:
          full && last
            ? last.position
            : BigInt(count) > request.from
              ? BigInt(count)
              : request.from,
      });
    },
    (from, limit): Promise<RawPage> => {
      calls.shared.push(from);
      return Promise.resolve({
        events: visible(from)
          .slice(0, limit)
          .map((e) => ({ ...e })),
        safe: BigInt(count) + 1n,
      });
    },
    pageSize,
    windowEvents,
  );
  return { reads, calls, append };
}

const ask = (from: number, limit: number | null, filter?: EventFilter): PageRequest => ({
  from: BigInt(from),
  limit,
  filter,
});
const positions = (page: ReadPage) => page.events.map((e) => Number(e.position));

describe('SharedReads', () => {
  it('answers the readers of one turn with one read, each filtered as its own read would be', async () => {
    const { reads, calls } = fakeStore(12);
    const [odd, orders, limited] = await Promise.all([
      reads.read(ask(2, 100, { eventTypes: ['Odd'] })),
      reads.read(ask(0, 100, { streamPrefixes: ['order-'] })),
      reads.read(ask(5, 3)),
    ]);
    expect(calls.shared).toEqual([0n]);
    expect(calls.alone).toEqual([]);
    expect(positions(odd)).toEqual([4, 6, 8, 10, 12]);
    expect(odd.nextPosition).toBe(12n); // past all it skipped, up to the horizon
    expect(positions(orders)).toEqual([1, 4, 7, 10]);
    expect(orders.nextPosition).toBe(12n);
    expect(positions(limited)).toEqual([6, 7, 8]); // full: resume after its last event
    expect(limited.nextPosition).toBe(8n);
  });

  it('hands out frozen events: readers share them', async () => {
    const { reads } = fakeStore(3);
    const [a, b] = await Promise.all([reads.read(ask(0, 10)), reads.read(ask(0, 10))]);
    expect(a.events[0]).toBe(b.events[0]);
    expect(Object.isFrozen(a.events[0])).toBe(true);
    expect(Object.isFrozen(a.events[0]!.data)).toBe(true);
  });

  it('lets a lone reader read with its filter in the statement', async () => {
    const { reads, calls } = fakeStore(6);
    const page = await reads.read(ask(0, 10, { eventTypes: ['Even'] }));
    expect(calls.shared).toEqual([]);
    expect(calls.alone).toHaveLength(1);
    expect(positions(page)).toEqual([1, 3, 5]);
  });

  it('sends a reader the full shared page cannot serve to read alone', async () => {
    // A shared page of 4 events from 0 ends at 4: the reader at 6 lies past it, and the Odd
    // reader found fewer than its limit in it; the reader that filled its limit is served.
    const { reads, calls } = fakeStore(20, 4);
    const [ahead, odd, two] = await Promise.all([
      reads.read(ask(6, 10)),
      reads.read(ask(0, 10, { eventTypes: ['Odd'] })),
      reads.read(ask(0, 2)),
    ]);
    expect(calls.shared).toEqual([0n]);
    expect(calls.alone.map((r) => Number(r.from)).sort()).toEqual([0, 6]);
    expect(positions(ahead)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(positions(odd)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(positions(two)).toEqual([1, 2]);
    expect(two.nextPosition).toBe(2n);
  });

  it('reads alone for a reader far behind the window (catching up)', async () => {
    const { reads, calls } = fakeStore(30);
    for (let round = 0; round < 8; round++) {
      await Promise.all([reads.read(ask(20, 100)), reads.read(ask(25, 100))]);
    }
    calls.shared.length = 0;
    const [laggard, live1, live2] = await Promise.all([
      reads.read(ask(0, 5)),
      reads.read(ask(25, 100)),
      reads.read(ask(28, 100)),
    ]);
    // The live readers are answered from the window of the last shared reads (20..30).
    expect(calls.shared).toEqual([]);
    expect(calls.alone.map((r) => Number(r.from))).toEqual([0]);
    expect(positions(laggard)).toEqual([1, 2, 3, 4, 5]);
    expect(positions(live1)).toEqual([26, 27, 28, 29, 30]);
    expect(positions(live2)).toEqual([29, 30]);
  });

  it('answers a reader a little behind from the window, and reads on from where it ends', async () => {
    const { reads, calls, append } = fakeStore(10);
    await Promise.all([reads.read(ask(0, 100)), reads.read(ask(0, 100))]);
    expect(calls.shared).toEqual([0n]);
    append(5); // 11..15
    // The fast reader reads on from 10; the slow one, still at 4, is answered from memory.
    const fast = await reads.read(ask(10, 100));
    expect(calls.shared).toEqual([0n, 10n]);
    const slow = await reads.read(ask(4, 3));
    expect(calls.shared).toEqual([0n, 10n]);
    expect(calls.alone).toEqual([]);
    expect(positions(fast)).toEqual([11, 12, 13, 14, 15]);
    expect(fast.nextPosition).toBe(15n);
    expect(positions(slow)).toEqual([5, 6, 7]);
    expect(slow.nextPosition).toBe(7n);
    const rest = await reads.read(ask(7, 100));
    expect(positions(rest)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(rest.nextPosition).toBe(15n); // where the window ends: a prefix, no gap
    expect(calls.shared).toEqual([0n, 10n]);
  });

  it('reads from where the window ends for a reader with nothing of its own in it', async () => {
    const { reads, calls, append } = fakeStore(10);
    await Promise.all([reads.read(ask(0, 100)), reads.read(ask(0, 100))]);
    append(4); // 11..14: order-13 is the first order stream after 10
    const orders = await reads.read(ask(10, 100, { streamPrefixes: ['order-'] }));
    await reads.read(ask(8, 1)); // from the window: keeps it in use
    append(6); // 15..20
    const [late, fresh] = await Promise.all([
      reads.read(ask(12, 100, { eventTypes: ['Nope'] })),
      reads.read(ask(14, 100, { streamPrefixes: ['order-'] })),
    ]);
    expect(positions(orders)).toEqual([13]);
    // Neither asks the store again for 12..14: the window holds them.
    expect(calls.shared).toEqual([0n, 10n, 14n]);
    expect(calls.alone).toEqual([]);
    expect(positions(late)).toEqual([]);
    expect(late.nextPosition).toBe(20n);
    expect(positions(fresh)).toEqual([16, 19]);
  });

  it('keeps a bounded window: a reader before it reads from the store', async () => {
    const { reads, calls, append } = fakeStore(10, 1000, 4);
    await Promise.all([reads.read(ask(0, 100)), reads.read(ask(0, 100))]);
    append(2);
    await reads.read(ask(5, 1)); // 6..9 are gone from the window (it keeps 7..10)
    expect(calls.alone.map((r) => Number(r.from))).toEqual([5]);
    const inside = await reads.read(ask(6, 2));
    expect(positions(inside)).toEqual([7, 8]);
    expect(calls.alone).toHaveLength(1);
  });

  it('fails the readers of a shared read that failed, and serves the next ones', async () => {
    let fail = true;
    const reads = new SharedReads(
      () => Promise.resolve({ events: [], nextPosition: 0n }),
      () =>
        fail
          ? Promise.reject(new Error('connection lost'))
          : Promise.resolve({ events: [], safe: 5n }),
    );
    const failed = [reads.read(ask(0, 10)), reads.read(ask(1, 10))];
    await expect(failed[0]).rejects.toThrow('connection lost');
    await expect(failed[1]).rejects.toThrow('connection lost');
    fail = false;
    const [a] = await Promise.all([reads.read(ask(0, 10)), reads.read(ask(1, 10))]);
    expect(a).toEqual({ events: [], nextPosition: 4n });
  });
});
