import { randomUUID } from 'node:crypto';
import { isLeft } from 'fp-ts/Either';
import type { Pool } from 'pg';
import type { Config } from '../infra/config';
import { Email, Password } from '../api/codecs';
import { hashPassword } from './passwords';

/** Embedded mode's administrator when ADMIN_EMAIL / ADMIN_PASSWORD are not set. */
export const DEFAULT_ADMIN_EMAIL = 'admin@orderflow.local';
export const DEFAULT_ADMIN_PASSWORD = 'orderflow-admin';

export interface EnsureAdminResult {
  id: string;
  /** A new account was made. */
  created: boolean;
  /** An existing account was not an admin before and is now. */
  promoted: boolean;
  /** An existing account's password was replaced (only with `resetPassword`). */
  passwordReset: boolean;
}

/**
 * Makes sure an administrator with this email exists: creates it (names "Admin"
 * "Orderflow"), or, when the email is taken in any letter case, makes that account an
 * admin. An existing account keeps its password unless `resetPassword` is set: a password
 * changed by its owner is not overwritten by whatever the environment says at each start.
 * Idempotent, and safe for two processes starting at once (one statement, ON CONFLICT).
 */
export async function ensureAdmin(
  pool: Pool,
  email: string,
  password: string,
  options: { resetPassword?: boolean } = {},
): Promise<EnsureAdminResult> {
  const checkedEmail = Email.decode(email);
  if (isLeft(checkedEmail)) throw new Error('The admin email is not an email address');
  if (isLeft(Password.decode(password))) {
    throw new Error('The admin password must be 8 to 128 characters');
  }
  const resetPassword = options.resetPassword ?? false;
  const passwordHash = await hashPassword(password);
  const { rows } = await pool.query<{
    id: string;
    created: boolean;
    previous_role: string | null;
  }>(
    // The CTE reads the row as it was before the statement (one snapshot for both).
    `WITH before AS (SELECT role FROM users WHERE lower(email) = lower($2))
     INSERT INTO users AS u (id, email, password_hash, first_name, last_name, role)
     VALUES ($1, $2, $3, 'Admin', 'Orderflow', 'admin')
     ON CONFLICT ((lower(email))) DO UPDATE
       SET role = 'admin',
           password_hash = CASE WHEN $4 THEN EXCLUDED.password_hash ELSE u.password_hash END,
           updated_at = CASE WHEN u.role <> 'admin' OR $4 THEN now() ELSE u.updated_at END
     RETURNING u.id, (u.xmax = 0) AS created, (SELECT role FROM before) AS previous_role`,
    [randomUUID(), checkedEmail.right, passwordHash, resetPassword],
  );
  const row = rows[0];
  if (!row) throw new Error('ensureAdmin: the upsert returned no row');
  return {
    id: row.id,
    created: row.created,
    promoted: !row.created && row.previous_role !== 'admin',
    passwordReset: !row.created && resetPassword,
  };
}

/**
 * Which administrator to ensure at start: ADMIN_EMAIL and ADMIN_PASSWORD when both are set;
 * in embedded mode the documented defaults fill in (`defaults` says so, for the banner);
 * otherwise none. One of the two without the other is a configuration error.
 */
export function adminCredentials(
  config: Pick<Config, 'adminEmail' | 'adminPassword'>,
  embedded: boolean,
): { email: string; password: string; defaults: boolean } | undefined {
  const { adminEmail, adminPassword } = config;
  if (adminEmail !== undefined && adminPassword !== undefined) {
    return { email: adminEmail, password: adminPassword, defaults: false };
  }
  if (adminEmail !== undefined || adminPassword !== undefined) {
    throw new Error('Set both ADMIN_EMAIL and ADMIN_PASSWORD, or neither');
  }
  return embedded
    ? { email: DEFAULT_ADMIN_EMAIL, password: DEFAULT_ADMIN_PASSWORD, defaults: true }
    : undefined;
}
