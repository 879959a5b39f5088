import { Pool } from 'pg';
import { redactUrl } from './config';
import type { Logger } from './logger';

/**
 * The service's pool. Its sessions plan every statement for its parameters and the tables as
 * they are now (`force_custom_plan`), prepared ones included: a generic plan made while a
 * table was small is kept until the table is next analysed, and here tables change size
 * faster than autovacuum looks. Measured in bench:orders: under a generic plan the orders
 * projection's batch statement kept a hash join over a sequential scan of `orders` from its
 * first minute (custom plans leave it once the table is big enough: see below), and
 * `order_payment_tokens`, where every row is deleted soon after it is written, was scanned
 * through its dead rows; with custom plans, PostgreSQL's CPU per order at the half rate fell
 * by about 13%. Planning costs about 0.9 ms per batch statement, once per batch.
 *
 * `random_page_cost=1.1`: a read model's pages are in memory (or on SSD), so fetching one
 * at random costs about as much as reading the next. With the default of 4 the planner
 * preferred to read all of `orders` to find the hundred rows a projection batch updates,
 * up to 12,000-15,000 rows (EXPLAIN of 109 rows updated): 2.7 ms against 0.45 ms by the key at
 * 5,300 orders (EXPLAIN ANALYZE), and the batch statement went from 7.9 to 6.6 ms a call in
 * bench:orders (pg_stat_statements). The event store's pool keeps the server's setting.
 */
export async function openPool(connectionString: string, logger: Logger): Promise<Pool> {
  const pool = new Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: 5_000,
    options: '-c plan_cache_mode=force_custom_plan -c random_page_cost=1.1',
  });
  // An idle client loses its server (restart, shutdown): log it instead of crashing.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot connect to ${redactUrl(connectionString)}: ${reason}`, {
      cause: error,
    });
  }
  return pool;
}
