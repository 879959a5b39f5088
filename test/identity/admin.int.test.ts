import { Pool } from 'pg';
import {
  adminCredentials,
  DEFAULT_ADMIN_EMAIL,
  DEFAULT_ADMIN_PASSWORD,
  ensureAdmin,
} from '../../src/identity/admin';
import { verifyPassword } from '../../src/identity/passwords';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { anyString, closeAndDrop } from './harness';

let db: TestDatabase;
let pool: Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  pool = new Pool({ connectionString: db.connectionString, max: 4 });
});
afterAll(() => closeAndDrop(pool, db));

async function stored(email: string) {
  const { rows } = await pool.query<{ id: string; role: string; password_hash: string }>(
    'SELECT id, role, password_hash FROM users WHERE lower(email) = lower($1)',
    [email],
  );
  return rows;
}

describe('ensureAdmin', () => {
  it('creates the admin once; running again changes nothing', async () => {
    const first = await ensureAdmin(pool, 'Root@Example.com', 'first-password');
    expect(first).toEqual({
      id: anyString(),
      created: true,
      promoted: false,
      passwordReset: false,
    });
    const second = await ensureAdmin(pool, 'root@example.com', 'another-password');
    expect(second).toEqual({ id: first.id, created: false, promoted: false, passwordReset: false });

    const rows = await stored('root@example.com');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.role).toBe('admin');
    // The existing password stays: the second call did not overwrite it.
    await expect(verifyPassword(rows[0]?.password_hash ?? '', 'first-password')).resolves.toBe(
      true,
    );
  });

  it('promotes an existing customer, keeping the password', async () => {
    await pool.query(
      `INSERT INTO users (id, email, password_hash, first_name, last_name, role)
       VALUES (gen_random_uuid(), 'cust@example.com', 'hash-kept', 'C', 'U', 'customer')`,
    );
    const result = await ensureAdmin(pool, 'CUST@example.com', 'ignored-password');
    expect(result).toMatchObject({ created: false, promoted: true, passwordReset: false });
    expect(await stored('cust@example.com')).toEqual([
      expect.objectContaining({ role: 'admin', password_hash: 'hash-kept' }),
    ]);
  });

  it('replaces the password only when told to', async () => {
    await ensureAdmin(pool, 'reset@example.com', 'old-password');
    const result = await ensureAdmin(pool, 'reset@example.com', 'new-password', {
      resetPassword: true,
    });
    expect(result).toMatchObject({ created: false, promoted: false, passwordReset: true });
    const hash = (await stored('reset@example.com'))[0]?.password_hash ?? '';
    await expect(verifyPassword(hash, 'new-password')).resolves.toBe(true);
  });

  it('is safe when two processes ensure the same admin at once', async () => {
    const results = await Promise.all([
      ensureAdmin(pool, 'race@example.com', 'race-password'),
      ensureAdmin(pool, 'race@example.com', 'race-password'),
    ]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await stored('race@example.com')).toHaveLength(1);
  });

  it('refuses a password under 8 characters or a malformed email', async () => {
    await expect(ensureAdmin(pool, 'short@example.com', 'short')).rejects.toThrow(/8 to 128/);
    await expect(ensureAdmin(pool, 'not an email', 'long-enough')).rejects.toThrow(/email/);
  });
});

describe('adminCredentials', () => {
  it('takes ADMIN_EMAIL and ADMIN_PASSWORD when both are set', () => {
    expect(adminCredentials({ adminEmail: 'a@b.co', adminPassword: 'p4ssword' }, true)).toEqual({
      email: 'a@b.co',
      password: 'p4ssword',
      defaults: false,
    });
  });

  it('falls back to the documented defaults in embedded mode only', () => {
    expect(adminCredentials({}, true)).toEqual({
      email: DEFAULT_ADMIN_EMAIL,
      password: DEFAULT_ADMIN_PASSWORD,
      defaults: true,
    });
    expect(adminCredentials({}, false)).toBeUndefined();
  });

  it('refuses one without the other', () => {
    expect(() => adminCredentials({ adminEmail: 'a@b.co' }, true)).toThrow(/both/);
  });
});
