import type Koa from 'koa';
import { forbidden, unauthorized } from './problem';

export type Role = 'customer' | 'admin';

/** Who is calling, as the authentication middleware found it in a valid access token. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
}

/** What every request carries in `ctx.state`. */
export interface AppState {
  requestId: string;
  /** Set by the authentication middleware when a valid bearer token came with the request. */
  user?: AuthUser;
}

export type AppContext = Koa.ParameterizedContext<AppState>;

/** 401 unless a valid access token came with the request. */
export const requireUser: Koa.Middleware<AppState> = async (ctx, next) => {
  if (!ctx.state.user) throw unauthorized();
  await next();
};

/** 401 without a token, 403 for a token that is not an admin's. */
export const requireAdmin: Koa.Middleware<AppState> = async (ctx, next) => {
  if (!ctx.state.user) throw unauthorized();
  if (ctx.state.user.role !== 'admin') throw forbidden('Administrators only');
  await next();
};

/** The caller, where a route has already required one. */
export function currentUser(ctx: AppContext): AuthUser {
  if (!ctx.state.user) throw unauthorized();
  return ctx.state.user;
}
