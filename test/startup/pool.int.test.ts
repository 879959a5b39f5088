import { createLogger } from '../../src/infra/logger';
import { openPool } from '../../src/infra/pool';
import { createTestDatabase, type TestDatabase } from '../support/database';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

describe("the service's pool", () => {
  it('plans every statement for the tables as they are now, on every connection', async () => {
    const pool = await openPool(db.connectionString, createLogger({ level: 'silent' }));
    // Several connections held at once, not only the first one.
    const clients = await Promise.all([1, 2, 3].map(() => pool.connect()));
    try {
      const modes = await Promise.all(
        clients.map(
          async (c) =>
            (await c.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode')).rows[0]
              ?.plan_cache_mode,
        ),
      );
      expect(modes).toEqual(['force_custom_plan', 'force_custom_plan', 'force_custom_plan']);
    } finally {
      for (const c of clients) c.release();
      await pool.end();
    }
  });

  it('names the server without its password when it cannot connect', async () => {
    const url = 'postgres://someone:secret-password@127.0.0.1:1/none';
    const failure = openPool(url, createLogger({ level: 'silent' }));
    await expect(failure).rejects.toThrow(
      /^Cannot connect to postgres:\/\/someone:\*+@127\.0\.0\.1:1\/none/,
    );
    await expect(failure).rejects.not.toThrow(/secret-password/);
  });
});
