import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import {
  type ConsumerRunner,
  createConsumerRunner,
  leaderApplicationName,
  listParked,
} from '../../src/consumers';
import { Leadership } from '../../src/consumers/leadership';
import {
  appendMany,
  countRows,
  createHarness,
  type Harness,
  moveCheckpointFarAhead,
  rowsProjection,
  storedCheckpoint,
  waitFor,
} from './fixtures/helpers';

let h: Harness;
const runners: ConsumerRunner[] = [];
let child: ChildProcess | undefined;

beforeAll(async () => {
  h = await createHarness();
});
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await h.close();
});

function runner(name: string, delayMs: number): ConsumerRunner {
  const r = createConsumerRunner({
    consumer: rowsProjection(name, { batchSize: 20, delayMs, filter: { streamPrefixes: [name] } }),
    store: h.store,
    pool: h.pool,
    pollMs: 200,
    acquireRetryMs: 100,
  });
  runners.push(r);
  return r;
}

/** Backend pids holding the consumer's advisory lock (the leader's lock connection). */
async function lockHolders(name: string): Promise<number[]> {
  const { rows } = await h.pool.query<{ pid: number }>(
    `SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
      WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1
        AND a.datname = current_database()`,
    [leaderApplicationName(name)],
  );
  return rows.map((r) => r.pid);
}

/** Every event of the consumer's streams applied exactly once, none parked. */
async function expectExactlyOnce(name: string, total: number, last: bigint): Promise<void> {
  await waitFor(async () => (await countRows(h.pool, name)) === total, `${total} rows`, 30_000);
  await waitFor(
    async () => (await storedCheckpoint(h.pool, name)) >= last,
    'checkpoint at the end',
  );
  const { rows } = await h.pool.query<{ n: number; distinct_positions: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT position)::int AS distinct_positions
       FROM proj_rows WHERE consumer = $1`,
    [name],
  );
  expect(rows[0]).toEqual({ n: total, distinct_positions: total });
  expect(await listParked(h.pool, name)).toEqual([]); // a duplicate insert would have failed
}

describe('leadership', () => {
  it('keeps a second instance on standby and lets it take over when the lock connection dies', async () => {
    const name = 'lead-terminate';
    await appendMany(h.store, 600, { perAppend: 20, prefix: name });
    const a = runner(name, 15);
    a.start();
    await waitFor(async () => (await countRows(h.pool, name)) > 0, 'a leads');
    const b = runner(name, 15);
    b.start();
    await waitFor(() => b.state === 'standby', 'b on standby');
    expect(['catching_up', 'live']).toContain(a.state);

    // Mid-stream, with appends still arriving, the leader's lock connection is killed.
    const appending = appendMany(h.store, 200, { perAppend: 10, prefix: name });
    await waitFor(async () => (await countRows(h.pool, name)) >= 100, '100 rows');
    const [pid] = await lockHolders(name);
    expect(pid).toBeDefined();
    await h.pool.query('SELECT pg_terminate_backend($1)', [pid]);

    await waitFor(() => a.state === 'standby', 'a steps down');
    await waitFor(() => ['catching_up', 'live'].includes(b.state), 'b takes over', 5_000);
    let last = await appending;
    await expectExactlyOnce(name, 800, last);
    expect(await lockHolders(name)).toHaveLength(1);

    // And back: the old leader, now standby, takes over when b stops.
    await b.stop();
    await waitFor(() => ['catching_up', 'live'].includes(a.state), 'a leads again', 5_000);
    last = await appendMany(h.store, 40, { perAppend: 10, prefix: name });
    await expectExactlyOnce(name, 840, last);
  });

  it('rolls back and steps down when another instance moved the checkpoint (compare-and-set)', async () => {
    const name = 'lead-cas';
    await appendMany(h.store, 5, { perAppend: 5, prefix: name });
    const states: string[] = [];
    const r = createConsumerRunner({
      consumer: rowsProjection(name, { filter: { streamPrefixes: [name] } }),
      store: h.store,
      pool: h.pool,
      pollMs: 10_000,
      logger: {
        info: () => undefined,
        error: () => undefined,
        warn: (details, message) => states.push(message),
      },
    });
    runners.push(r);
    r.start();
    await waitFor(async () => (await countRows(h.pool, name)) === 5 && r.state === 'live', 'live');

    // A zombie instance (no lock) moves the checkpoint far ahead; then an event arrives.
    const ahead = await moveCheckpointFarAhead(h.pool, name);
    await h.store.appendToStream(`${name}-x`, [{ type: 'ItemAdded', data: {} }]);
    await waitFor(() => states.includes('consumer deposed'), 'deposed by the compare-and-set');
    await waitFor(() => r.state === 'live', 'leads again');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await countRows(h.pool, name)).toBe(5); // the batch it lost was rolled back
    expect(await storedCheckpoint(h.pool, name)).toBe(ahead);
  });

  it('holds the lock once however often the leader asks, and leaves no timer after release', async () => {
    const setSpy = jest.spyOn(global, 'setInterval');
    const clearSpy = jest.spyOn(global, 'clearInterval');
    try {
      const leadership = new Leadership(h.pool.options, 'lead-twice', 50);
      const other = new Leadership(h.pool.options, 'lead-twice', 50);
      expect(await leadership.tryAcquire(() => undefined)).toBe(true);
      expect(await leadership.tryAcquire(() => undefined)).toBe(true);
      expect(await other.tryAcquire(() => undefined)).toBe(false);
      expect(setSpy).toHaveBeenCalledTimes(1); // one heartbeat
      const heartbeat = setSpy.mock.results[0]?.value as unknown;
      await leadership.release();
      expect(clearSpy).toHaveBeenCalledWith(heartbeat);
      expect(await other.tryAcquire(() => undefined)).toBe(true);
      await other.release();
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
  });

  it.each([
    ['a transaction', 'lead-sigkill', '0'],
    ['one statement', 'lead-sigkill-stmt', '1'],
  ])(
    'takes over from a leader process killed mid-stream, every event applied exactly once (batches as %s)',
    async (_how, name, oneStatement) => {
      const last = await appendMany(h.store, 1_000, { perAppend: 50, prefix: name });
      let output = '';
      child = spawn(
        process.execPath,
        ['-r', '@swc-node/register', path.join(__dirname, 'fixtures', 'run-consumer.ts')],
        {
          cwd: path.join(__dirname, '..', '..'),
          env: {
            ...process.env,
            CONNECTION_STRING: h.db.connectionString,
            CONSUMER_NAME: name,
            BATCH_SIZE: '25',
            DELAY_MS: '20',
            FILTER_PREFIX: name,
            ONE_STATEMENT: oneStatement,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

      await waitFor(
        async () => (await countRows(h.pool, name)) > 0,
        `child leads (${output})`,
        20_000,
      );
      const standby = runner(name, 0);
      standby.start();
      await waitFor(() => standby.state === 'standby', 'in-test standby');
      await waitFor(async () => (await countRows(h.pool, name)) >= 200, '200 rows');

      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const rowsAtKill = await countRows(h.pool, name);
      expect(rowsAtKill).toBeLessThan(1_000); // it really died mid-stream

      await waitFor(() => ['catching_up', 'live'].includes(standby.state), 'takeover', 10_000);
      await expectExactlyOnce(name, 1_000, last);
      const { rows } = await h.pool.query<{ writer: string; n: number }>(
        'SELECT writer, count(*)::int AS n FROM proj_rows WHERE consumer = $1 GROUP BY writer',
        [name],
      );
      expect(rows.find((r) => r.writer === 'test')?.n).toBeGreaterThan(0);
    },
  );
});
