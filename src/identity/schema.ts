import type { MigrationSet } from '../infra/migrations';

/**
 * Identity's tables. Users are plain rows, not event streams: see the README's design notes.
 *
 * `users`: emails are unique case-insensitively through the index on `lower(email)` (no
 * citext, which would need `CREATE EXTENSION`); the API stores them lower-cased anyway, the
 * index keeps the rule for any other writer.
 *
 * `addresses`: at most one default per user (partial unique index); whoever sets a new
 * default clears the old one in the same transaction.
 *
 * `refresh_tokens`: one row per issued refresh token (`jti`), in a family started by a
 * login. Rotation marks a row `used_at`; presenting a used one marks its whole family
 * `revoked_at`.
 *
 * `login_attempts`: failed logins, keyed by account (lower-cased email) and by client
 * address, read by the rate limiter over a sliding window and pruned as it goes.
 */
export const identityMigrations: MigrationSet = {
  component: 'identity',
  migrations: [
    {
      version: 1,
      name: 'users, addresses, refresh tokens, login attempts',
      sql: `
CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL,
  password_hash text NOT NULL,
  first_name text NOT NULL,
  last_name text NOT NULL,
  phone text,
  role text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE addresses (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  line1 text NOT NULL,
  line2 text,
  city text NOT NULL,
  state text NOT NULL,
  postal_code text NOT NULL,
  country text NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user_idx ON addresses (user_id, created_at);
CREATE UNIQUE INDEX addresses_one_default_per_user ON addresses (user_id) WHERE is_default;

CREATE TABLE refresh_tokens (
  jti uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  family_id uuid NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id, expires_at);

CREATE TABLE login_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scope text NOT NULL CHECK (scope IN ('account', 'address')),
  key text NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_key_idx ON login_attempts (scope, key, attempted_at);
CREATE INDEX login_attempts_time_idx ON login_attempts (attempted_at);
`,
    },
  ],
};
