import type { Pool } from 'pg';

/** Failed logins allowed per window, per account and per client address. */
export interface LoginLimits {
  perAccount: number;
  perAddress: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perAccount: 5,
  perAddress: 20,
  windowSeconds: 15 * 60,
};

export type LoginCheck =
  { allowed: true } | { allowed: false; scope: 'account' | 'address'; retryAfterSeconds: number };

/** Login throttling; its state is in PostgreSQL, so every API process sees the same counts. */
export interface LoginLimiter {
  /** Whether a login for `account` from `address` may even be tried now. */
  check(account: string, address: string): Promise<LoginCheck>;
  /** Counts a failure against both keys (an unknown email too: no tell-tale difference). */
  recordFailure(account: string, address: string): Promise<void>;
  /** A successful login clears the account's failures (not the address's). */
  recordSuccess(account: string): Promise<void>;
}

/**
 * A sliding window over `login_attempts`: a key is blocked while it has `limit` failures
 * younger than the window, until the `limit`-th most recent one ages out (`Retry-After`).
 * Refused attempts are not recorded, so a blocked key frees itself on schedule.
 *
 * The per-account limit lets anyone lock an account for one window by failing on purpose;
 * that is the usual price of stopping password guessing on it, and the lock is short.
 * Two processes checking at the same instant may each let one attempt through at the edge;
 * the limit is a brake, not an exact count.
 */
export function createLoginLimiter(
  pool: Pool,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
): LoginLimiter {
  const accountKey = (email: string) => email.trim().toLowerCase();
  const window = limits.windowSeconds;

  const limiter: LoginLimiter = {
    async check(account, address) {
      const { rows } = await pool.query<{ scope: 'account' | 'address'; retry_after: number }>(
        `SELECT scope, greatest(1, ceil(extract(epoch FROM
                  attempted_at + make_interval(secs => $5) - now())))::int AS retry_after
         FROM ((SELECT scope, attempted_at FROM login_attempts
                WHERE scope = 'account' AND key = $1
                  AND attempted_at > now() - make_interval(secs => $5)
                ORDER BY attempted_at DESC OFFSET $2 - 1 LIMIT 1)
               UNION ALL
               (SELECT scope, attempted_at FROM login_attempts
                WHERE scope = 'address' AND key = $3
                  AND attempted_at > now() - make_interval(secs => $5)
                ORDER BY attempted_at DESC OFFSET $4 - 1 LIMIT 1)) AS blocking
         ORDER BY retry_after DESC LIMIT 1`,
        [accountKey(account), limits.perAccount, address, limits.perAddress, window],
      );
      const blocking = rows[0];
      return blocking
        ? { allowed: false, scope: blocking.scope, retryAfterSeconds: blocking.retry_after }
        : { allowed: true };
    },

    async recordFailure(account, address) {
      await pool.query(
        `WITH pruned AS (
           DELETE FROM login_attempts WHERE attempted_at <= now() - make_interval(secs => $3)
         )
         INSERT INTO login_attempts (scope, key)
         VALUES ('account', $1), ('address', $2)`,
        [accountKey(account), address, window],
      );
    },

    async recordSuccess(account) {
      await pool.query(`DELETE FROM login_attempts WHERE scope = 'account' AND key = $1`, [
        accountKey(account),
      ]);
    },
  };
  return limiter;
}
