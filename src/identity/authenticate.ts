import type Koa from 'koa';
import type { AppState } from '../api/auth';
import { HttpProblem } from '../api/problem';
import { InvalidToken, type TokenService } from './tokens';

const BEARER = /^Bearer +([\w.~+/-]+=*) *$/i;

/**
 * Sets `ctx.state.user` from a `Bearer` access token. No Authorization header: the request
 * goes on anonymous (the route's guard decides). Anything else that is not a valid access
 * token (another scheme, a malformed, forged, expired or `alg: none` token, a refresh token)
 * is a 401 at once: a client that sent credentials must learn they failed, not be served as
 * a stranger.
 *
 * The token is trusted for its 15 minutes without a database lookup: a role change or a
 * removed account takes effect at the next refresh, which reads the user row again. That
 * keeps every authenticated request free of an extra query; nothing in the API removes
 * users or demotes admins today.
 */
export function authenticate(tokens: TokenService): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    const header = ctx.get('Authorization');
    if (header === '') {
      await next();
      return;
    }
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) {
      throw invalidToken('The Authorization header must be "Bearer <access token>"');
    }
    try {
      ctx.state.user = await tokens.verifyAccess(token);
    } catch (error) {
      if (error instanceof InvalidToken) throw invalidToken('The access token is not valid');
      throw error;
    }
    await next();
  };
}

/** RFC 6750 section 3.1: a bad token is `invalid_token`, and the challenge says so. */
function invalidToken(detail: string): HttpProblem {
  return new HttpProblem(401, {
    code: 'invalid_token',
    detail,
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  });
}
