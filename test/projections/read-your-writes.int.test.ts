import { checkpointMoved } from '../../src/consumers/progress-signal';
import { readYourWrites, type ReadYourWritesOptions } from '../../src/projections';
import { createCatalogHarness, type CatalogHarness } from './harness';
import { aroundQuery } from '../support/pool-proxy';

let h: CatalogHarness;

beforeAll(async () => {
  h = await createCatalogHarness({ runProjections: false });
  await h.pool.query(
    `INSERT INTO consumer_checkpoints (name, kind, position) VALUES ('a', 'projection', 10),
            ('b', 'projection', 3)`,
  );
});
afterAll(async () => {
  await h.close();
});

/** One write's wait, through a watcher of its own. */
const waitForProjections = (
  names: readonly string[],
  position: bigint,
  options: ReadYourWritesOptions = {},
) => readYourWrites(h.pool, options)(names, position);

describe('read-your-writes', () => {
  it('resolves true at once when every named checkpoint has reached the position', async () => {
    const started = Date.now();
    await expect(waitForProjections(['a', 'b'], 3n)).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('waits for a checkpoint that is behind, and resolves once it moves', async () => {
    const waiting = waitForProjections(['a', 'b'], 7n, { timeoutMs: 5_000 });
    let settled = false;
    void waiting.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(settled).toBe(false);
    await h.pool.query(`UPDATE consumer_checkpoints SET position = 8 WHERE name = 'b'`);
    await expect(waiting).resolves.toBe(true);
  });

  it('gives up after the timeout with a warning, for a lagging or unknown projection', async () => {
    const warnings: object[] = [];
    const logger = { warn: (details: object) => void warnings.push(details) };
    const started = Date.now();
    await expect(
      waitForProjections(['a', 'missing'], 5n, { timeoutMs: 300, logger }),
    ).resolves.toBe(false);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2_000);
    expect(warnings).toEqual([expect.objectContaining({ projections: ['a', 'missing'] })]);
  });

  it('watches for every waiting write with one query at a time', async () => {
    let queries = 0;
    const counting = aroundQuery(h.pool, (args, query) => {
      queries++;
      return query(...args);
    });
    const wait = readYourWrites(counting, { timeoutMs: 5_000, intervalMs: 5 });
    const writes = Array.from({ length: 20 }, (_, i) => wait(['a', 'b'], 20n + BigInt(i % 3)));
    await new Promise((r) => setTimeout(r, 50));
    // Twenty writes polling on their own would have made 20 queries at once already.
    expect(queries).toBeLessThan(20);
    await h.pool.query(`UPDATE consumer_checkpoints SET position = 30 WHERE name IN ('a', 'b')`);
    await expect(Promise.all(writes)).resolves.toEqual(Array(20).fill(true));
  });

  it('hears a projection of this process on the same pool at once, without waiting to poll', async () => {
    // Polling every 10 s: only the in-process signal can settle the write in time.
    const wait = readYourWrites(h.pool, {
      timeoutMs: 3_000,
      intervalMs: 10_000,
      heardIntervalMs: 10_000,
    });
    const started = Date.now();
    const write = wait(['a', 'b'], 500n);
    await new Promise((r) => setTimeout(r, 50));
    checkpointMoved(h.pool, 'a', 600n);
    checkpointMoved({}, 'b', 600n); // another pool: another database, not heard
    let settled = false;
    void write.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    checkpointMoved(h.pool, 'b', 500n);
    await expect(write).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    // A write already passed by what was heard answers at once.
    await expect(wait(['a'], 550n)).resolves.toBe(true);
  });
});
