import request from 'supertest';
import type { RouteModule } from '../../src/api/route-module';
import { authenticate } from '../../src/identity/authenticate';
import { createTokenService } from '../../src/identity/tokens';
import { testApp } from '../api/app-fixture';

const SECRET = 'unit-test-secret-with-more-than-32-characters';
const tokens = createTokenService(SECRET);
const user = {
  id: '7f6d2c1e-4b7a-4c1d-9e2f-0a1b2c3d4e5f',
  email: 'ada@example.com',
  role: 'admin' as const,
};

/** A route that says who the middleware found: `null` for anonymous. */
const whoami: RouteModule = {
  name: 'whoami',
  openapi: { '/whoami': { get: { summary: 'who', responses: {} } } },
  register(router) {
    router.get('/whoami', (ctx) => {
      ctx.body = { user: ctx.state.user ?? null };
    });
  },
};

const app = testApp({ modules: [whoami], authenticate: authenticate(tokens) });
const get = (authorization?: string) => {
  const req = request(app.callback()).get('/api/v1/whoami');
  return authorization === undefined ? req : req.set('Authorization', authorization);
};
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('authenticate', () => {
  it('lets a request without Authorization through, anonymous', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: null });
  });

  it('sets the user from a valid access token', async () => {
    const res = await get(`Bearer ${await tokens.signAccess(user)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user });
  });

  it('accepts the scheme in any case', async () => {
    const res = await get(`bearer ${await tokens.signAccess(user)}`);
    expect(res.body).toEqual({ user });
  });

  const now = Math.floor(Date.now() / 1000);
  const claims = {
    typ: 'access',
    sub: user.id,
    email: user.email,
    role: 'admin',
    iss: 'orderflow',
    iat: now,
    exp: now + 900,
  };
  const cases: Array<[string, () => Promise<string>]> = [
    [
      'a forged token (other secret)',
      async () => `Bearer ${await createTokenService('x'.repeat(40)).signAccess(user)}`,
    ],
    [
      'an expired token',
      async () =>
        `Bearer ${await createTokenService(SECRET, { now: () => new Date(Date.now() - 3_600_000) }).signAccess(user)}`,
    ],
    [
      'an alg:none token',
      () => Promise.resolve(`Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`),
    ],
    [
      'a refresh token',
      async () => `Bearer ${(await tokens.signRefresh({ jti: user.id, family: user.id })).token}`,
    ],
    ['garbage', () => Promise.resolve('Bearer not-a-token')],
    ['another scheme', () => Promise.resolve('Basic YWRtaW46YWRtaW4=')],
    ['Bearer without a token', () => Promise.resolve('Bearer')],
  ];

  it.each(cases)('answers %s with 401 problem+json, never as anonymous', async (_name, header) => {
    const res = await get(await header());
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 401, code: 'invalid_token' });
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });
});
