import type Koa from 'koa';
import { Pool } from 'pg';
import request from 'supertest';
import type { AppState } from '../../src/api/auth';
import { authenticate } from '../../src/identity/authenticate';
import { identityModule } from '../../src/identity/identity.routes';
import type { LoginLimits } from '../../src/identity/rate-limit';
import { createTokenService, type TokenService } from '../../src/identity/tokens';
import { capturingLogger, testApp } from '../api/app-fixture';
import { createTestDatabase, type TestDatabase } from '../support/database';

export const SECRET = 'test-secret-of-at-least-thirty-two-characters';

/** The identity module and its middleware on a fresh database, with the log lines kept. */
export interface IdentityHarness {
  app: Koa<AppState>;
  pool: Pool;
  /** The harness's database, for a test that needs its own connections. */
  connectionString: string;
  tokens: TokenService;
  /** Every JSON log line so far. */
  logLines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function identityHarness(
  options: { loginLimits?: LoginLimits } = {},
): Promise<IdentityHarness> {
  const db: TestDatabase = await createTestDatabase();
  const pool = new Pool({ connectionString: db.connectionString, max: 5 });
  const tokens = createTokenService(SECRET);
  const { logger, lines } = capturingLogger();
  const app = testApp({
    logger,
    modules: [identityModule({ pool, tokens, logger, ...options })],
    authenticate: authenticate(tokens),
  });
  return {
    app,
    pool,
    connectionString: db.connectionString,
    tokens,
    logLines: lines,
    close: () => closeAndDrop(pool, db),
  };
}

/**
 * Ends the pool, then drops the database. `pool.end()` resolves before its clients have
 * finished closing, and the drop's WITH (FORCE) may terminate one of them; pg reports that
 * as an error event on a pool nobody listens to any more. That one error is expected here.
 */
export async function closeAndDrop(pool: Pool, db: TestDatabase): Promise<void> {
  pool.on('error', (error: Error & { code?: string }) => {
    if (error.code !== '57P01') throw error; // 57P01: terminated by administrator command
  });
  await pool.end();
  await db.drop();
}

export const V1 = '/api/v1';

/** `expect.stringMatching` and `expect.any(String)` typed `unknown`, for the no-unsafe rules. */
export const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern) as unknown;
export const anyString = (): unknown => expect.any(String) as unknown;

let counter = 0;
/** A fresh email per call, so tests in one database do not collide. */
export function uniqueEmail(name = 'user'): string {
  counter += 1;
  return `${name}.${process.pid}.${counter}@example.com`;
}

export interface Registered {
  id: string;
  email: string;
  password: string;
}

export async function registerUser(
  app: Koa<AppState>,
  fields: Record<string, unknown> = {},
): Promise<Registered> {
  const body = {
    email: uniqueEmail(),
    password: 'correct horse battery',
    first_name: 'Ada',
    last_name: 'Lovelace',
    ...fields,
  };
  const res = await request(app.callback()).post(`${V1}/auth/register`).send(body);
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: (res.body as { id: string }).id, email: body.email, password: body.password };
}

export interface TokenPairBody {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export async function loginAs(
  app: Koa<AppState>,
  user: { email: string; password: string },
): Promise<TokenPairBody> {
  const res = await request(app.callback())
    .post(`${V1}/auth/login`)
    .send({ email: user.email, password: user.password });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as TokenPairBody;
}
