import { Client } from 'pg';
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
      const settings = await Promise.all(
        clients.map(
          async (c) =>
            (
              await c.query<{ mode: string; cost: string }>(
                "SELECT current_setting('plan_cache_mode') AS mode, " +
                  "current_setting('random_page_cost') AS cost",
              )
            ).rows[0],
        ),
      );
      expect(settings).toEqual([1, 2, 3].map(() => ({ mode: 'force_custom_plan', cost: '1.1' })));
    } finally {
      for (const c of clients) c.release();
      await pool.end();
    }
  });

  it('updates a batch of rows by their key, not by reading the whole table', async () => {
    // The shape of a projection batch: a hundred rows of a table of thousands, joined on
    // the primary key to the batch's arrays. The server's default cost model reads the table.
    const setup = new Client({ connectionString: db.connectionString });
    await setup.connect();
    try {
      await setup.query(`
        CREATE TABLE plan_probe (id uuid PRIMARY KEY, status text NOT NULL, pad text NOT NULL);
        INSERT INTO plan_probe
          SELECT gen_random_uuid(), 'pending', repeat('x', 200) FROM generate_series(1, 5000);
        ANALYZE plan_probe;`);
      const ids = (await setup.query<{ id: string }>('SELECT id FROM plan_probe LIMIT 100')).rows;
      const explain = async (c: { query: Client['query'] }): Promise<string> => {
        const { rows } = await c.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN UPDATE plan_probe p SET status = u.status
             FROM unnest($1::uuid[], $2::text[]) AS u(id, status) WHERE p.id = u.id`,
          [ids.map((r) => r.id), ids.map(() => 'paid')],
        );
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      };
      expect(await explain(setup)).toMatch(/Seq Scan on plan_probe/); // the server's default

      const pool = await openPool(db.connectionString, createLogger({ level: 'silent' }));
      try {
        const plan = await explain(pool);
        expect(plan).toMatch(/Index Scan using plan_probe_pkey/);
        expect(plan).not.toMatch(/Seq Scan on plan_probe/);
      } finally {
        await pool.end();
      }
    } finally {
      await setup.end();
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
