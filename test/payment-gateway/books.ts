import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * A test database for a suite of the mock gateway's tests, its books (`gateway_ledger`)
 * emptied before each test so every test starts with a gateway that never charged. Call at
 * the top of a test file; `pool()` is usable inside tests and hooks.
 */
export function gatewayBooks(): { pool(): Pool; connectionString(): string } {
  let db: TestDatabase | undefined;
  let pool: Pool | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.connectionString, max: 4 });
    pool.on('error', () => undefined);
  });
  beforeEach(async () => {
    await pool?.query('TRUNCATE gateway_ledger');
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('gatewayBooks: used before its beforeAll ran');
    return value;
  };
  return { pool: () => ready(pool), connectionString: () => ready(db).connectionString };
}
