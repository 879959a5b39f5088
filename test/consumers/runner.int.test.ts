import type { EventStore, RecordedEvent } from '../../src/eventstore';
import {
  createConsumerRunner,
  type ConsumerRunner,
  type ReactorConsumer,
} from '../../src/consumers';
import {
  appendMany,
  countRows,
  createHarness,
  type Harness,
  rowsProjection,
  storedCheckpoint,
  waitFor,
} from './fixtures/helpers';
import { aroundQuery } from '../support/pool-proxy';

let h: Harness;
const runners: ConsumerRunner[] = [];

function run(options: Omit<Parameters<typeof createConsumerRunner>[0], 'store' | 'pool'>) {
  const runner = createConsumerRunner({ store: h.store, pool: h.pool, pollMs: 200, ...options });
  runners.push(runner);
  runner.start();
  return runner;
}

beforeAll(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await h.close();
});

describe('consumer runner', () => {
  it('catches up in batches of at most batchSize events, one transaction each', async () => {
    const last = await appendMany(h.store, 1_200, { perAppend: 100 });
    const projection = rowsProjection('batching');
    const runner = run({ consumer: projection });
    await waitFor(async () => (await countRows(h.pool, 'batching')) === 1_200, '1,200 rows');

    expect(projection.batches.length).toBeLessThanOrEqual(3);
    expect(projection.batches.map((b) => b.length)).toEqual([500, 500, 200]);
    const positions = projection.batches.flat().map((e) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    await waitFor(() => runner.state === 'live', 'live');
    expect(await storedCheckpoint(h.pool, 'batching')).toBeGreaterThanOrEqual(last);
  });

  it('resumes from its stored checkpoint after stop and start, reprocessing nothing', async () => {
    await appendMany(h.store, 30, { perAppend: 10, prefix: 'resume' });
    const filter = { streamPrefixes: ['resume'] };
    const first = rowsProjection('resume', { filter });
    const runner = run({ consumer: first });
    await waitFor(async () => (await countRows(h.pool, 'resume')) === 30, '30 rows');
    await runner.stop();
    const stoppedAt = await storedCheckpoint(h.pool, 'resume');
    expect(runner.state).toBe('stopped');

    const newer = await appendMany(h.store, 10, { perAppend: 5, prefix: 'resume-2' });
    const second = rowsProjection('resume', { filter });
    run({ consumer: second });
    await waitFor(async () => (await countRows(h.pool, 'resume')) === 40, '40 rows');
    const seen = second.batches.flat();
    expect(seen).toHaveLength(10);
    expect(seen.every((e) => e.position > stoppedAt && e.streamName.startsWith('resume-2'))).toBe(
      true,
    );
    await waitFor(async () => (await storedCheckpoint(h.pool, 'resume')) >= newer, 'checkpoint');
  });

  it('delivers a new event within a second once live', async () => {
    const projection = rowsProjection('live-delivery', { filter: { streamPrefixes: ['live-'] } });
    const runner = run({ consumer: projection, pollMs: 5_000 });
    await waitFor(() => runner.state === 'live', 'live');
    await new Promise((r) => setTimeout(r, 100)); // let it settle into waitForAppend

    const appendedAt = Date.now();
    await h.store.appendToStream('live-1', [{ type: 'ItemAdded', data: {} }]);
    await waitFor(async () => (await countRows(h.pool, 'live-delivery')) === 1, 'row', 1_000, 5);
    expect(Date.now() - appendedAt).toBeLessThan(1_000);
    expect(projection.batches.at(-1)).toHaveLength(1);
  });

  it('commits nothing of a failing batch and does not pass the failing event until parked', async () => {
    const streams = ['atomic-a', 'atomic-b', 'atomic-c', 'atomic-d', 'atomic-e'];
    const written: RecordedEvent[] = [];
    for (const s of streams) {
      const { position } = await h.store.appendToStream(s, [{ type: 'ItemAdded', data: { s } }]);
      written.push({ position, streamName: s } as RecordedEvent);
    }
    const failing = written[2]!;
    let calls = 0;
    const runner = run({
      consumer: {
        kind: 'projection',
        name: 'atomic',
        filter: { streamPrefixes: ['atomic-'] },
        handle: async (events, tx) => {
          calls += 1;
          for (const e of events) {
            await tx.query(
              `INSERT INTO proj_rows (consumer, event_id, position, stream_name) VALUES ('atomic', $1, $2, $3)`,
              [e.id, e.position.toString(), e.streamName],
            );
            if (e.position === failing.position) throw new Error('boom on the third event');
          }
        },
      },
      retry: { attempts: 3, baseDelayMs: 400, maxDelayMs: 400 },
    });

    await waitFor(() => runner.state === 'retrying', 'retrying');
    const rowsWhileRetrying = await h.pool.query<{ stream_name: string }>(
      "SELECT stream_name FROM proj_rows WHERE consumer = 'atomic' ORDER BY position",
    );
    // Events before the poison one were re-applied one by one; nothing at or after it.
    expect(rowsWhileRetrying.rows.map((r) => r.stream_name)).toEqual(['atomic-a', 'atomic-b']);
    expect(await storedCheckpoint(h.pool, 'atomic')).toBe(written[1]!.position);
    expect(calls).toBeGreaterThanOrEqual(4); // the batch, a, b, then c at least once

    await waitFor(async () => (await countRows(h.pool, 'atomic')) === 4, 'the other four rows');
    const parked = await h.pool.query<{
      stream_name: string;
      attempts: number;
      error_message: string;
    }>(
      "SELECT stream_name, attempts, error_message FROM consumer_dead_letters WHERE consumer_name = 'atomic'",
    );
    expect(parked.rows).toEqual([
      { stream_name: 'atomic-c', attempts: 3, error_message: 'boom on the third event' },
    ]);
    expect(await storedCheckpoint(h.pool, 'atomic')).toBeGreaterThanOrEqual(written[4]!.position);
  });

  it('hands a filtered consumer only matching events and moves past the others', async () => {
    await appendMany(h.store, 20, { perAppend: 5, type: 'Noise', prefix: 'filt-noise' });
    await appendMany(h.store, 6, { perAppend: 2, type: 'Wanted', prefix: 'filt-other' });
    await appendMany(h.store, 4, { perAppend: 2, type: 'Wanted', prefix: 'filt-keep' });
    const projection = rowsProjection('filtered', {
      filter: { eventTypes: ['Wanted'], streamPrefixes: ['filt-keep'] },
    });
    const runner = run({ consumer: projection });
    await waitFor(async () => (await countRows(h.pool, 'filtered')) === 4, '4 rows');
    expect(
      projection.batches
        .flat()
        .every((e) => e.type === 'Wanted' && e.streamName.startsWith('filt-keep')),
    ).toBe(true);

    const noise = await appendMany(h.store, 5, {
      perAppend: 5,
      type: 'Noise',
      prefix: 'filt-keep',
    });
    await waitFor(
      async () => (await storedCheckpoint(h.pool, 'filtered')) >= noise,
      'moved past noise',
    );
    expect(await countRows(h.pool, 'filtered')).toBe(4);
    expect((await runner.status()).lag).toBe(0);
  });

  it('reads on past the events it skipped before it has stored that move', async () => {
    const reads: { from: bigint; next: bigint }[] = [];
    const store: EventStore = Object.create(h.store) as EventStore;
    store.readPage = async (options) => {
      const page = await h.store.readPage(options);
      reads.push({ from: options?.fromPosition ?? 0n, next: page.nextPosition });
      return page;
    };
    const readPast = (position: bigint) =>
      waitFor(() => Promise.resolve(reads.some((r) => r.next >= position)), 'read past');
    const runner = createConsumerRunner({
      consumer: rowsProjection('skipper', { filter: { streamPrefixes: ['skip-keep'] } }),
      store,
      pool: h.pool,
      pollMs: 50,
      checkpointIntervalMs: 60_000, // the first skip is stored, later ones not in this test
    });
    runners.push(runner);
    runner.start();
    await readPast(await h.store.headPosition());
    const first = await appendMany(h.store, 5, { perAppend: 5, type: 'Noise', prefix: 'skip-n' });
    await readPast(first);
    const stored = await storedCheckpoint(h.pool, 'skipper');
    expect(stored).toBeLessThan(first);
    const second = await appendMany(h.store, 5, { perAppend: 5, type: 'Noise', prefix: 'skip-n' });
    await readPast(second);
    const readsAfterFirst = reads.slice(reads.findIndex((r) => r.next >= first) + 1);
    expect(readsAfterFirst.length).toBeGreaterThan(0);
    expect(readsAfterFirst.every((r) => r.from >= first)).toBe(true);
    expect(await storedCheckpoint(h.pool, 'skipper')).toBe(stored);
  });

  it('runs a reactor event by event, checkpointing after each, and resumes after restart', async () => {
    const seen: bigint[] = [];
    const reactor = (): ReactorConsumer => ({
      kind: 'reactor',
      name: 'reactor',
      filter: { streamPrefixes: ['react-'] },
      handle: (event) => {
        seen.push(event.position);
        return Promise.resolve();
      },
    });
    await appendMany(h.store, 12, { perAppend: 4, prefix: 'react-a' });
    const first = run({ consumer: reactor() });
    await waitFor(() => seen.length === 12, '12 events');
    await waitFor(() => first.state === 'live', 'live');
    await first.stop();

    const last = await appendMany(h.store, 3, { perAppend: 3, prefix: 'react-b' });
    run({ consumer: reactor() });
    await waitFor(() => seen.length === 15, '15 events');
    expect(new Set(seen).size).toBe(15);
    expect(seen).toEqual([...seen].sort((a, b) => (a < b ? -1 : 1)));
    await waitFor(async () => (await storedCheckpoint(h.pool, 'reactor')) >= last, 'checkpoint');
  });

  it('runs a concurrent reactor: streams in parallel, each stream in order, never two at once', async () => {
    const streams = ['conc-a', 'conc-b', 'conc-c', 'conc-d', 'conc-e', 'conc-f'];
    let last = 0n;
    for (let round = 0; round < 5; round += 1) {
      for (const stream of streams) {
        last = (await h.store.appendToStream(stream, [{ type: 'Step', data: { round } }])).position;
      }
    }
    const running = new Set<string>();
    let most = 0;
    const rounds = new Map<string, number[]>();
    run({
      consumer: {
        kind: 'reactor',
        name: 'concurrent',
        filter: { streamPrefixes: ['conc-'] },
        concurrency: 4,
        handle: async (event) => {
          expect(running.has(event.streamName)).toBe(false);
          running.add(event.streamName);
          most = Math.max(most, running.size);
          await new Promise((resolve) => setTimeout(resolve, 5));
          const seen = rounds.get(event.streamName) ?? [];
          seen.push((event.data as { round: number }).round);
          rounds.set(event.streamName, seen);
          running.delete(event.streamName);
        },
      },
    });
    await waitFor(async () => (await storedCheckpoint(h.pool, 'concurrent')) >= last, 'checkpoint');
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
    for (const stream of streams) expect(rounds.get(stream)).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps the checkpoint below an unfinished event while other streams go past it', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const slow = (await h.store.appendToStream('mark-slow', [{ type: 'Step', data: {} }])).position;
    let fastLast = 0n;
    for (let i = 0; i < 5; i += 1) {
      fastLast = (await h.store.appendToStream('mark-fast', [{ type: 'Step', data: { i } }]))
        .position;
    }
    const done: bigint[] = [];
    const runner = run({
      consumer: {
        kind: 'reactor',
        name: 'low-water',
        filter: { streamPrefixes: ['mark-'] },
        concurrency: 2,
        handle: async (event) => {
          if (event.streamName === 'mark-slow') await gate;
          done.push(event.position);
        },
      },
    });
    await waitFor(() => done.includes(fastLast), 'the other stream done');
    await new Promise((resolve) => setTimeout(resolve, 100)); // past the checkpoint interval
    expect(await storedCheckpoint(h.pool, 'low-water')).toBeLessThan(slow);
    expect((await runner.status()).lag).toBe(6);
    open();
    await waitFor(
      async () => (await storedCheckpoint(h.pool, 'low-water')) >= fastLast,
      'checkpoint past both',
    );
    expect(done[done.length - 1]).toBe(slow);
  });

  it('stores its last checkpoint on stop even while a checkpoint write is in flight', async () => {
    // Slow checkpoint writes and no interval between them: the final write on stop must not
    // race the one in flight (two compare-and-sets from one position: one would fail).
    const slowPool = aroundQuery(h.pool, async (args, query) => {
      const text = typeof args[0] === 'string' ? args[0] : '';
      if (text.includes('UPDATE consumer_checkpoints'))
        await new Promise((r) => setTimeout(r, 150));
      return query(...args);
    });
    const warnings: string[] = [];
    const logger = {
      info() {},
      error() {},
      warn: (_: object, message: string) => void warnings.push(message),
    };
    await h.store.appendToStream('stop-b', [{ type: 'Step', data: {} }]);
    const last = (await h.store.appendToStream('stop-a', [{ type: 'Step', data: {} }])).position;
    const done: bigint[] = [];
    const runner = createConsumerRunner({
      store: h.store,
      pool: slowPool,
      pollMs: 200,
      checkpointIntervalMs: 0,
      logger,
      consumer: {
        kind: 'reactor',
        name: 'stop-in-flight',
        filter: { streamPrefixes: ['stop-'] },
        concurrency: 2,
        handle: async (event) => {
          if (event.streamName === 'stop-a') await new Promise((r) => setTimeout(r, 50));
          done.push(event.position);
        },
      },
    });
    runner.start();
    await waitFor(() => done.length === 2, 'both handled');
    await runner.stop();
    expect(warnings.filter((w) => w.includes('deposed'))).toEqual([]);
    expect(await storedCheckpoint(h.pool, 'stop-in-flight')).toBeGreaterThanOrEqual(last);
  });

  it('survives a failing read: keeps the lock, backs off, and carries on', async () => {
    let failReads = 2;
    const store: EventStore = Object.create(h.store) as EventStore;
    store.readPage = (options) => {
      if (failReads > 0) {
        failReads -= 1;
        return Promise.reject(new Error('connection reset'));
      }
      return h.store.readPage(options);
    };
    const last = await appendMany(h.store, 5, { perAppend: 5, prefix: 'flaky' });
    const projection = rowsProjection('flaky', { filter: { streamPrefixes: ['flaky'] } });
    const runner = createConsumerRunner({
      consumer: projection,
      store,
      pool: h.pool,
      acquireRetryMs: 20,
    });
    runners.push(runner);
    runner.start();
    await waitFor(async () => (await storedCheckpoint(h.pool, 'flaky')) >= last, 'caught up');
    expect(failReads).toBe(0);
    expect(await countRows(h.pool, 'flaky')).toBe(5);
    expect(await runner.status()).toMatchObject({ state: 'live', lastError: 'connection reset' });
  });
});
