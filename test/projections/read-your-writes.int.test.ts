import { waitForProjections } from '../../src/projections';
import { createCatalogHarness, type CatalogHarness } from './harness';

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

describe('waitForProjections', () => {
  it('resolves true at once when every named checkpoint has reached the position', async () => {
    const started = Date.now();
    await expect(waitForProjections(h.pool, ['a', 'b'], 3n)).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('waits for a checkpoint that is behind, and resolves once it moves', async () => {
    const waiting = waitForProjections(h.pool, ['a', 'b'], 7n, { timeoutMs: 5_000 });
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
      waitForProjections(h.pool, ['a', 'missing'], 5n, { timeoutMs: 300, logger }),
    ).resolves.toBe(false);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2_000);
    expect(warnings).toEqual([expect.objectContaining({ projections: ['a', 'missing'] })]);
  });
});
