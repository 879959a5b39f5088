import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import type { AuthUser } from '../api/auth';
import { Uuid } from '../api/codecs';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;

const ISSUER = 'orderflow';
/** Verification accepts only this: `alg: none`, HS512 or RS256 tokens are refused. */
const ALGORITHM = 'HS256';
/** Below this a secret is guessable offline from any token (HS256 wants 256 bits). */
export const MIN_SECRET_LENGTH = 32;
/** Verified access tokens kept in memory (the oldest dropped beyond this many). */
const VERIFIED_TOKENS = 10_000;

/** A token that is malformed, forged, expired, of the wrong type or algorithm. */
export class InvalidToken extends Error {
  override readonly name = 'InvalidToken';
}

/** What a verified refresh token says; whether it may still be used is the database's call. */
export interface RefreshClaims {
  jti: string;
  family: string;
  expiresAt: Date;
}

/** Signs and verifies the two kinds of token. Pure: no database, no state but the key. */
export interface TokenService {
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  signAccess(user: AuthUser): Promise<string>;
  signRefresh(claims: { jti: string; family: string }): Promise<{ token: string; expiresAt: Date }>;
  /** The caller, or `InvalidToken`. A refresh token is not an access token. */
  verifyAccess(token: string): Promise<AuthUser>;
  /** The claims, or `InvalidToken`. An access token is not a refresh token. */
  verifyRefresh(token: string): Promise<RefreshClaims>;
}

export interface TokenOptions {
  /** The clock tokens are issued and checked by; tests move it. */
  now?: () => Date;
  accessTtlSeconds?: number;
  refreshTtlSeconds?: number;
}

// Ids go into uuid columns: anything else would make a query fail rather than miss.
const AccessPayload = t.type({
  typ: t.literal('access'),
  sub: Uuid,
  email: t.string,
  role: t.keyof({ customer: null, admin: null }),
});

const RefreshPayload = t.type({
  typ: t.literal('refresh'),
  jti: Uuid,
  family: Uuid,
  exp: t.number,
});

/**
 * HS256 JWTs signed with `secret`: access tokens (`sub`, `email`, `role`, `typ: access`)
 * and refresh tokens (`jti`, `family`, `typ: refresh`). The `typ` claim keeps each kind out
 * of the other's place; verification pins the algorithm and the issuer.
 */
export function createTokenService(secret: string, options: TokenOptions = {}): TokenService {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`The JWT secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  const key = new TextEncoder().encode(secret);
  const now = options.now ?? (() => new Date());
  const accessTtlSeconds = options.accessTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS;
  const refreshTtlSeconds = options.refreshTtlSeconds ?? REFRESH_TOKEN_TTL_SECONDS;

  const sign = (payload: JWTPayload, ttlSeconds: number) => {
    const issuedAt = Math.floor(now().getTime() / 1000);
    const expiresAt = issuedAt + ttlSeconds;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(key)
      .then((token) => ({ token, expiresAt: new Date(expiresAt * 1000) }));
  };

  const verify = async <A>(
    token: string,
    codec: t.Type<A, unknown>,
  ): Promise<{ claims: A; expiresAtMs: number }> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        requiredClaims: ['exp', 'iat'],
        currentDate: now(),
      }));
    } catch (error) {
      throw new InvalidToken('The token is not valid', { cause: error });
    }
    const decoded = codec.decode(payload);
    if (isLeft(decoded)) throw new InvalidToken('The token is not of the expected kind');
    // `exp` is required above.
    return { claims: decoded.right, expiresAtMs: (payload.exp ?? 0) * 1000 };
  };

  // Access tokens verified already, by their exact text (signature included: a token that
  // differs in one character is verified afresh), each until it expires. A client sends the
  // same token with every request for its 15 minutes; verifying an HS256 signature through
  // WebCrypto each time cost ~6% of the service's CPU under load.
  const verified = new Map<string, { user: AuthUser; expiresAtMs: number }>();

  const verifyAccess = async (token: string): Promise<AuthUser> => {
    const known = verified.get(token);
    if (known && now().getTime() < known.expiresAtMs) return known.user;
    if (known) verified.delete(token);
    const { claims, expiresAtMs } = await verify(token, AccessPayload);
    const user: AuthUser = { id: claims.sub, email: claims.email, role: claims.role };
    if (verified.size >= VERIFIED_TOKENS) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    verified.set(token, { user, expiresAtMs });
    return user;
  };

  return {
    accessTtlSeconds,
    refreshTtlSeconds,
    signAccess: async (user) =>
      (
        await sign(
          { typ: 'access', sub: user.id, email: user.email, role: user.role },
          accessTtlSeconds,
        )
      ).token,
    signRefresh: ({ jti, family }) => sign({ typ: 'refresh', jti, family }, refreshTtlSeconds),
    verifyAccess,
    verifyRefresh: async (token) => {
      const { claims } = await verify(token, RefreshPayload);
      return { jti: claims.jti, family: claims.family, expiresAt: new Date(claims.exp * 1000) };
    },
  };
}
