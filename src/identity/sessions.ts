import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import type { Pool, PoolClient } from 'pg';
import type { AuthUser, Role } from '../api/auth';
import { InvalidToken, type TokenService } from './tokens';
import { inTransaction } from './users';

/** What login and refresh answer (OAuth 2.0 token response, RFC 6749 section 5.1). */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  /** Lifetime of the access token, in seconds. */
  expires_in: number;
}

/**
 * Why a refresh was refused. `reused`: the token had been rotated already, so it leaked or
 * was replayed; its whole family is now revoked.
 */
export type RefreshRefusal = 'invalid' | 'unknown' | 'expired' | 'revoked' | 'reused';

/**
 * Issues an access token and a refresh token for `user`; without `family`, a new family
 * starts (a login), and the user's long-expired rows go (nothing can present them: their
 * JWTs fail verification). The refresh token's row is written before it is handed out.
 */
export async function issueTokenPair(
  db: Pool | PoolClient,
  tokens: TokenService,
  user: AuthUser,
  family?: string,
): Promise<TokenPair> {
  if (family === undefined) {
    await db.query(
      "DELETE FROM refresh_tokens WHERE user_id = $1 AND expires_at < now() - interval '1 day'",
      [user.id],
    );
  }
  const jti = randomUUID();
  const familyId = family ?? randomUUID();
  const refresh = await tokens.signRefresh({ jti, family: familyId });
  await db.query(
    `INSERT INTO refresh_tokens (jti, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4)`,
    [jti, user.id, familyId, refresh.expiresAt],
  );
  return {
    access_token: await tokens.signAccess(user),
    refresh_token: refresh.token,
    token_type: 'bearer',
    expires_in: tokens.accessTtlSeconds,
  };
}

interface StoredRefresh {
  user_id: string;
  family_id: string;
  expired: boolean;
  used: boolean;
  revoked: boolean;
  email: string;
  role: Role;
}

/**
 * Rotation: a valid, unused refresh token is marked used and replaced by a new one of the
 * same family, with an access token carrying the user's current email and role. A used one
 * revokes its family (committed even though the answer is a refusal), so every token of it,
 * the newest included, is refused from then on. The row lock makes two concurrent uses of
 * one token a reuse: the second one revokes the family.
 */
export async function rotateRefreshToken(
  pool: Pool,
  tokens: TokenService,
  refreshToken: string,
): Promise<E.Either<RefreshRefusal, TokenPair>> {
  let claims;
  try {
    claims = await tokens.verifyRefresh(refreshToken);
  } catch (error) {
    if (error instanceof InvalidToken) return E.left('invalid');
    throw error;
  }
  const { jti, family } = claims;
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<StoredRefresh>(
      `SELECT r.user_id, r.family_id, r.expires_at <= now() AS expired,
              r.used_at IS NOT NULL AS used, r.revoked_at IS NOT NULL AS revoked, u.email, u.role
       FROM refresh_tokens r JOIN users u ON u.id = r.user_id
       WHERE r.jti = $1 FOR UPDATE OF r`,
      [jti],
    );
    const stored = rows[0];
    if (!stored || stored.family_id !== family) return E.left('unknown' as const);
    if (stored.revoked) return E.left('revoked' as const);
    if (stored.used) {
      await revokeFamily(tx, family);
      return E.left('reused' as const);
    }
    if (stored.expired) return E.left('expired' as const);
    await tx.query('UPDATE refresh_tokens SET used_at = now() WHERE jti = $1', [jti]);
    const user = { id: stored.user_id, email: stored.email, role: stored.role };
    return E.right(await issueTokenPair(tx, tokens, user, family));
  });
}

/** Revokes every token of a family (a reuse, or a logout of that session). */
export async function revokeFamily(db: Pool | PoolClient, family: string): Promise<number> {
  const { rowCount } = await db.query(
    'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL',
    [family],
  );
  return rowCount ?? 0;
}
