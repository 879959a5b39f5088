import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { Role } from '../api/auth';

type Db = Pool | PoolClient;

/** A user as stored. `passwordHash` stays inside identity: responses go through `userView`. */
export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: Role;
  createdAt: Date;
}

export interface AddressRecord {
  id: string;
  line1: string;
  line2: string | null;
  city: string;
  state: string;
  postalCode: string;
  country: string;
  isDefault: boolean;
  createdAt: Date;
}

export interface NewUser {
  email: string;
  passwordHash: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: Role;
}

export type NewAddress = Omit<AddressRecord, 'id' | 'createdAt'>;

const USER_COLUMNS = `id, email, password_hash AS "passwordHash", first_name AS "firstName",
  last_name AS "lastName", phone, role, created_at AS "createdAt"`;
const ADDRESS_COLUMNS = `id, line1, line2, city, state, postal_code AS "postalCode", country,
  is_default AS "isDefault", created_at AS "createdAt"`;

/**
 * The new user, or `email_taken` when the email exists in any letter case (the unique index
 * on `lower(email)`; the id is a fresh UUID). The conflict is not an error: pg-pool closes
 * the connection after a failed `pool.query`, which would cost a new server process for
 * every registration with a taken email.
 */
export async function insertUser(db: Db, user: NewUser): Promise<UserRecord | 'email_taken'> {
  const { rows } = await db.query<UserRecord>(
    `INSERT INTO users (id, email, password_hash, first_name, last_name, phone, role)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
    [
      randomUUID(),
      user.email,
      user.passwordHash,
      user.firstName,
      user.lastName,
      user.phone,
      user.role,
    ],
  );
  return rows[0] ?? 'email_taken';
}

/** Case-insensitive, through the unique index on `lower(email)`. */
export async function findUserByEmail(db: Db, email: string): Promise<UserRecord | undefined> {
  const { rows } = await db.query<UserRecord>(
    `SELECT ${USER_COLUMNS} FROM users WHERE lower(email) = lower($1)`,
    [email.trim()],
  );
  return rows[0];
}

/** With `lock`, holds the row until the transaction ends (serialises a user's writes). */
export async function findUserById(
  db: Db,
  id: string,
  lock = false,
): Promise<UserRecord | undefined> {
  const { rows } = await db.query<UserRecord>(
    `SELECT ${USER_COLUMNS} FROM users WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0];
}

export async function listAddresses(db: Db, userId: string): Promise<AddressRecord[]> {
  const { rows } = await db.query<AddressRecord>(
    `SELECT ${ADDRESS_COLUMNS} FROM addresses WHERE user_id = $1 ORDER BY created_at, id`,
    [userId],
  );
  return rows;
}

/**
 * Adds an address inside the caller's transaction, with the user's row locked: a new
 * default first clears the old one, so the one-default index never sees two.
 */
export async function insertAddress(
  tx: PoolClient,
  userId: string,
  address: NewAddress,
): Promise<AddressRecord> {
  if (address.isDefault) {
    await tx.query('UPDATE addresses SET is_default = false WHERE user_id = $1 AND is_default', [
      userId,
    ]);
  }
  const { rows } = await tx.query<AddressRecord>(
    `INSERT INTO addresses (id, user_id, line1, line2, city, state, postal_code, country, is_default)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${ADDRESS_COLUMNS}`,
    [
      randomUUID(),
      userId,
      address.line1,
      address.line2,
      address.city,
      address.state,
      address.postalCode,
      address.country,
      address.isDefault,
    ],
  );
  return rows[0] as AddressRecord;
}

/** The user as the API shows it: an explicit list of fields, so the hash can never slip out. */
export function userView(user: UserRecord) {
  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    phone: user.phone,
    role: user.role,
    created_at: user.createdAt.toISOString(),
  };
}

export function addressView(address: AddressRecord) {
  return {
    id: address.id,
    line1: address.line1,
    line2: address.line2,
    city: address.city,
    state: address.state,
    postal_code: address.postalCode,
    country: address.country,
    is_default: address.isDefault,
    created_at: address.createdAt.toISOString(),
  };
}

export { inTransaction } from '../infra/transaction';
