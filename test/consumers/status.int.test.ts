import {
  type ConsumerRunner,
  type ConsumerRunnerOptions,
  consumerLockKey,
  consumersReadiness,
  createConsumerRunner,
  readConsumerStatuses,
} from '../../src/consumers';
import {
  appendMany,
  createHarness,
  type Harness,
  rowsProjection,
  waitFor,
} from './fixtures/helpers';

let h: Harness;
const runners: ConsumerRunner[] = [];

beforeAll(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await h.close();
});

function make(options: Omit<ConsumerRunnerOptions, 'store' | 'pool'>): ConsumerRunner {
  const runner = createConsumerRunner({ store: h.store, pool: h.pool, pollMs: 200, ...options });
  runners.push(runner);
  return runner;
}

const failing = (name: string) => ({
  kind: 'reactor' as const,
  name,
  filter: { streamPrefixes: [name] },
  handle: () => Promise.reject(new Error('payment gateway down')),
});

/**
 * The head once every committed event is visible. Readers stop below the oldest write
 * transaction open anywhere on the server, so right after an append the visible head can
 * lag; once it reaches the table's maximum it stays there (nothing else appends here).
 */
async function settledHead(): Promise<bigint> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const { rows } = await h.pool.query<{ max: string | null }>(
      'SELECT max(position)::text AS max FROM es_events',
    );
    const max = BigInt(rows[0]?.max ?? '0');
    if ((await h.store.headPosition()) === max) return max;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the visible head never reached the last committed event');
}

describe('consumer status', () => {
  it('reports checkpoint, head and lag counted in events, capped, before and after catching up', async () => {
    const name = 'status-lag';
    await appendMany(h.store, 12, { perAppend: 3, prefix: name });
    await appendMany(h.store, 7, { perAppend: 7, prefix: 'status-other' });
    const runner = make({ consumer: rowsProjection(name, { filter: { streamPrefixes: [name] } }) });

    const head = await settledHead();
    const before = await runner.status();
    expect(before).toEqual({
      name,
      kind: 'projection',
      state: 'stopped',
      checkpoint: 0n,
      headPosition: head,
      lag: 12, // the other stream's events do not count
      parkedCount: 0,
      stuck: false,
    });
    expect((await runner.status({ lagCap: 5 })).lag).toBe(5);

    runner.start();
    await waitFor(
      async () => (await runner.status()).lag === 0 && runner.state === 'live',
      'caught up',
    );
    const after = await runner.status();
    expect(after.checkpoint).toBeGreaterThan(0n);
    expect(after.stuck).toBe(false);
    expect(await consumersReadiness([runner])()).toEqual([{ name, state: 'live', stuck: false }]);
  });

  it('is stuck when retrying one event longer than the threshold, here and from the database', async () => {
    const name = 'status-retrying';
    await appendMany(h.store, 2, { perAppend: 1, prefix: name });
    const runner = make({
      consumer: failing(name),
      retry: { attempts: 1_000, baseDelayMs: 20, maxDelayMs: 20 },
      stuckAfterMs: 300,
    });
    runner.start();
    await waitFor(() => runner.state === 'retrying', 'retrying');
    expect((await runner.status()).stuck).toBe(false);
    await waitFor(async () => (await runner.status()).stuck, 'stuck');
    expect(await runner.status()).toMatchObject({
      state: 'retrying',
      lag: 2,
      lastError: 'payment gateway down',
    });
    expect(await consumersReadiness([runner])()).toEqual([
      { name, state: 'retrying', stuck: true },
    ]);

    const [fromDb] = (await readConsumerStatuses(h.pool, h.store, { stuckAfterMs: 300 })).filter(
      (s) => s.name === name,
    );
    expect(fromDb).toMatchObject({ name, kind: 'reactor', state: 'retrying', lag: 2, stuck: true });
    expect(fromDb?.lastError).toBe('payment gateway down');
  });

  it('is stuck when leading with events pending and no progress for longer than the threshold', async () => {
    const name = 'status-blocked';
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    await appendMany(h.store, 3, { perAppend: 3, prefix: name });
    const runner = make({
      consumer: {
        kind: 'reactor',
        name,
        filter: { streamPrefixes: [name] },
        handle: () => gate,
      },
      stuckAfterMs: 300,
    });
    runner.start();
    await waitFor(() => runner.state === 'live', 'leading');
    expect((await runner.status()).stuck).toBe(false);
    await waitFor(async () => (await runner.status()).stuck, 'stuck');
    open();
    await waitFor(async () => (await runner.status()).lag === 0, 'done');
    expect((await runner.status()).stuck).toBe(false);
  });

  it('reads every consumer from the database: led ones with their state, others stopped', async () => {
    // Names whose lock keys are negative and positive: the pg_locks decoding must match both.
    const names: string[] = [];
    for (let i = 0; names.length < 2; i += 1) {
      const candidate = `status-db-${i}`;
      const negative = consumerLockKey(candidate) < 0n;
      if (names.length === (negative ? 0 : 1)) names.push(candidate);
    }
    for (const name of names) await appendMany(h.store, 4, { perAppend: 2, prefix: name });
    const [led, idle] = names.map((name) =>
      make({ consumer: rowsProjection(name, { filter: { streamPrefixes: [name] } }) }),
    );
    led!.start();
    idle!.start();
    await waitFor(
      async () => (await led!.status()).lag === 0 && (await idle!.status()).lag === 0,
      'both caught up',
    );
    await idle!.stop();

    const head = await settledHead();
    const statuses = await readConsumerStatuses(h.pool, h.store);
    const byName = new Map(statuses.map((s) => [s.name, s]));
    expect(byName.get(names[0]!)).toMatchObject({
      kind: 'projection',
      state: 'live',
      lag: 0,
      stuck: false,
    });
    expect(byName.get(names[1]!)).toMatchObject({ kind: 'projection', state: 'stopped', lag: 0 });
    expect(byName.get(names[0]!)?.checkpoint).toBe((await led!.status()).checkpoint);
    expect(byName.get(names[0]!)?.headPosition).toBe(head);

    await led!.stop();
    const after = await readConsumerStatuses(h.pool, h.store);
    expect(after.find((s) => s.name === names[0])?.state).toBe('stopped');
  });
});
