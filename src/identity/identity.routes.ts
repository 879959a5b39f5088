import { isLeft } from 'fp-ts/Either';
import type { Pool } from 'pg';
import { currentUser, requireUser, type AppContext } from '../api/auth';
import { decode } from '../api/decode';
import { conflict, HttpProblem } from '../api/problem';
import type { RouteModule } from '../api/route-module';
import type { Logger } from '../infra/logger';
import {
  AddressBody,
  FormLoginBody,
  JsonLoginBody,
  RefreshBody,
  RegisterBody,
} from './identity.codecs';
import { identityPaths, identitySchemas } from './identity.openapi';
import { hashPassword, verifyDummyPassword, verifyPassword } from './passwords';
import { createLoginLimiter, DEFAULT_LOGIN_LIMITS, type LoginLimits } from './rate-limit';
import { issueTokenPair, rotateRefreshToken, type RefreshRefusal } from './sessions';
import type { TokenService } from './tokens';
import {
  addressView,
  findUserByEmail,
  findUserById,
  inTransaction,
  insertAddress,
  insertUser,
  listAddresses,
  userView,
} from './users';

export interface IdentityDeps {
  pool: Pool;
  tokens: TokenService;
  /** For security events (reuse of a refresh token, failed logins); never given secrets. */
  logger?: Logger;
  loginLimits?: LoginLimits;
}

/**
 * Registration, login, token refresh and the caller's profile (DESIGN.md section 6).
 * `authenticate(tokens)` must run before these routes for `/users/me` to see the caller.
 */
export function identityModule(deps: IdentityDeps): RouteModule {
  const { pool, tokens, logger } = deps;
  const limiter = createLoginLimiter(pool, deps.loginLimits ?? DEFAULT_LOGIN_LIMITS);

  return {
    name: 'identity',
    openapi: identityPaths,
    schemas: identitySchemas,
    register(router) {
      router.post('/auth/register', async (ctx) => {
        const body = decode(RegisterBody, ctx.request.body, 'body');
        const user = await insertUser(pool, {
          email: body.email,
          passwordHash: await hashPassword(body.password),
          firstName: body.first_name,
          lastName: body.last_name,
          phone: body.phone ?? null,
          role: 'customer',
        });
        if (user === 'email_taken') {
          throw conflict('email_taken', 'An account with this email already exists');
        }
        logger?.info({ req_id: ctx.state.requestId, user_id: user.id }, 'user registered');
        ctx.status = 201;
        ctx.body = userView(user);
      });

      router.post('/auth/login', async (ctx) => {
        const { email, password } = loginBody(ctx);
        const gate = await limiter.check(email, ctx.ip);
        if (!gate.allowed) {
          logger?.warn({ req_id: ctx.state.requestId, scope: gate.scope }, 'login rate limited');
          throw new HttpProblem(429, {
            code: 'too_many_login_attempts',
            detail: `Too many failed login attempts; try again in ${gate.retryAfterSeconds} s`,
            headers: { 'Retry-After': String(gate.retryAfterSeconds) },
          });
        }
        const user = await findUserByEmail(pool, email);
        // An unknown email costs a verification too, so timing does not tell it apart.
        const valid = user
          ? await verifyPassword(user.passwordHash, password)
          : (await verifyDummyPassword(password), false);
        if (!user || !valid) {
          await limiter.recordFailure(email, ctx.ip);
          logger?.info({ req_id: ctx.state.requestId, user_id: user?.id }, 'login failed');
          throw new HttpProblem(401, {
            code: 'invalid_credentials',
            detail: 'The email or password is incorrect',
          });
        }
        await limiter.recordSuccess(email);
        const pair = await issueTokenPair(pool, tokens, userOf(user));
        ctx.set('Cache-Control', 'no-store');
        ctx.body = pair;
      });

      router.post('/auth/refresh', async (ctx) => {
        const body = decode(RefreshBody, ctx.request.body, 'body');
        const result = await rotateRefreshToken(pool, tokens, body.refresh_token);
        if (isLeft(result)) {
          if (result.left === 'reused') {
            logger?.warn(
              { req_id: ctx.state.requestId },
              'a used refresh token was presented again: its family is revoked',
            );
          }
          throw new HttpProblem(401, {
            code: 'invalid_refresh_token',
            detail: refusalDetail[result.left],
          });
        }
        ctx.set('Cache-Control', 'no-store');
        ctx.body = result.right;
      });

      router.get('/users/me', requireUser, async (ctx) => {
        const user = await findUserById(pool, currentUser(ctx).id);
        if (!user) throw accountGone();
        const addresses = await listAddresses(pool, user.id);
        ctx.body = { ...userView(user), addresses: addresses.map(addressView) };
      });

      router.post('/users/me/addresses', requireUser, async (ctx) => {
        const body = decode(AddressBody, ctx.request.body, 'body');
        const userId = currentUser(ctx).id;
        const address = await inTransaction(pool, async (tx) => {
          // The row lock orders concurrent additions of one user (the default switch).
          if (!(await findUserById(tx, userId, true))) throw accountGone();
          return insertAddress(tx, userId, {
            line1: body.line1,
            line2: body.line2 ?? null,
            city: body.city,
            state: body.state,
            postalCode: body.postal_code,
            country: body.country,
            isDefault: body.is_default ?? false,
          });
        });
        ctx.status = 201;
        ctx.body = addressView(address);
      });
    },
  };
}

/** JSON `{email, password}`, or the OAuth2-style form `username` + `password`. */
function loginBody(ctx: AppContext): { email: string; password: string } {
  if (ctx.request.is('application/x-www-form-urlencoded')) {
    const form = decode(FormLoginBody, ctx.request.body, 'body');
    return { email: form.username, password: form.password };
  }
  return decode(JsonLoginBody, ctx.request.body, 'body');
}

function userOf(user: { id: string; email: string; role: 'customer' | 'admin' }) {
  return { id: user.id, email: user.email, role: user.role };
}

/** A valid token for an account that has since been removed. */
function accountGone(): HttpProblem {
  return new HttpProblem(401, {
    code: 'account_not_found',
    detail: 'The account of this token no longer exists',
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  });
}

const refusalDetail: Record<RefreshRefusal, string> = {
  invalid: 'The refresh token is not valid',
  unknown: 'The refresh token is not valid',
  expired: 'The refresh token has expired; log in again',
  revoked: 'The refresh token was revoked; log in again',
  reused: 'The refresh token was already used, so its session has been revoked; log in again',
};
