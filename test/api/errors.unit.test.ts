import type Router from '@koa/router';
import request from 'supertest';
import type { AppState } from '../../src/api/auth';
import { requireAdmin, requireUser } from '../../src/api/auth';
import { domainProblem } from '../../src/api/domain-errors';
import { badRequest, conflict, HttpProblem } from '../../src/api/problem';
import type { RouteModule } from '../../src/api/route-module';
import { InvalidEventStoreInputError, WrongExpectedRevisionError } from '../../src/eventstore';
import { capturingLogger, testApp } from './app-fixture';

/** Routes that fail in every way the error middleware must know. */
const failing: RouteModule = {
  name: 'failing',
  register(router: Router<AppState>) {
    router.get('/problem', () => {
      throw new HttpProblem(429, {
        detail: 'Too many attempts',
        code: 'rate_limited',
        headers: { 'Retry-After': '30' },
        extensions: { retry_after: 30 },
      });
    });
    router.get('/invalid', () => {
      throw badRequest([
        { field: 'body.email', message: 'must be an email address' },
        { field: 'body.items[0].quantity', message: 'must be a whole number from 1 to 10000' },
      ]);
    });
    router.get('/conflict', () => {
      throw conflict('price_changed', 'The price changed', { current_price: 10.5 });
    });
    router.get('/domain', () => {
      const refusal = { code: 'INSUFFICIENT_STOCK', available: 2, requested: 5 };
      throw domainProblem(refusal);
    });
    router.put('/revision', () => {
      throw new WrongExpectedRevisionError('product-1', 3n, 4n);
    });
    router.post('/store-input', () => {
      throw new InvalidEventStoreInputError('stream', 'must be well-formed Unicode without NUL');
    });
    router.get('/crash', () => {
      throw new TypeError("Cannot read properties of undefined (reading 'rows') at pg/db.ts:42");
    });
    router.get('/me', requireUser, (ctx) => {
      ctx.body = { id: ctx.state.user?.id };
    });
    router.get('/admin', requireAdmin, (ctx) => {
      ctx.body = { ok: true };
    });
  },
  openapi: {},
};

/** Stands in for identity's middleware: a bearer token names the user and role. */
const fakeAuthenticate: NonNullable<Parameters<typeof testApp>[0]>['authenticate'] = async (
  ctx,
  next,
) => {
  const match = /^Bearer (\w+):(customer|admin)$/.exec(ctx.get('Authorization'));
  if (match?.[1] && match[2]) {
    ctx.state.user = {
      id: match[1],
      email: `${match[1]}@x.io`,
      role: match[2] as 'customer' | 'admin',
    };
  }
  await next();
};

function app(logger = capturingLogger().logger) {
  return testApp({ logger, modules: [failing], authenticate: fakeAuthenticate }).callback();
}

const problemOf = (res: request.Response) => JSON.parse(res.text) as Record<string, unknown>;

describe('the error middleware', () => {
  it('answers an unknown route with a 404 problem', async () => {
    const res = await request(app()).get('/api/v1/no/such/thing');
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/problem+json');
    expect(problemOf(res)).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
  });

  it('renders an HttpProblem: status, headers, code, extensions', async () => {
    const res = await request(app()).get('/api/v1/problem');
    expect(res.status).toBe(429);
    expect(res.type).toBe('application/problem+json');
    expect(res.headers['retry-after']).toBe('30');
    expect(problemOf(res)).toEqual({
      type: 'https://orderflow.dev/problems/rate_limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'Too many attempts',
      code: 'rate_limited',
      retry_after: 30,
    });
  });

  it('renders a validation problem with every field in errors', async () => {
    const res = await request(app()).get('/api/v1/invalid');
    expect(res.status).toBe(400);
    expect(problemOf(res)).toMatchObject({
      status: 400,
      errors: [
        { field: 'body.email', message: 'must be an email address' },
        { field: 'body.items[0].quantity', message: 'must be a whole number from 1 to 10000' },
      ],
    });
  });

  it('renders a conflict with its code and extensions', async () => {
    const res = await request(app()).get('/api/v1/conflict');
    expect(res.status).toBe(409);
    expect(problemOf(res)).toMatchObject({ code: 'price_changed', current_price: 10.5 });
  });

  it('renders a domain refusal through the domain error table', async () => {
    const res = await request(app()).get('/api/v1/domain');
    expect(res.status).toBe(409);
    expect(problemOf(res)).toMatchObject({
      code: 'insufficient_stock',
      available: 2,
      requested: 5,
    });
  });

  it('maps a revision conflict to 412 when the client sent If-Match', async () => {
    const res = await request(app()).put('/api/v1/revision').set('If-Match', '"3"');
    expect(res.status).toBe(412);
    expect(problemOf(res)).toMatchObject({ code: 'precondition_failed' });
    expect(res.text).not.toContain('product-1');
  });

  it('maps a revision conflict to 409 concurrency_conflict without If-Match', async () => {
    const res = await request(app()).put('/api/v1/revision');
    expect(res.status).toBe(409);
    expect(problemOf(res)).toMatchObject({ code: 'concurrency_conflict' });
  });

  it('maps an event store input error to 400, without its message', async () => {
    const res = await request(app()).post('/api/v1/store-input');
    expect(res.status).toBe(400);
    expect(problemOf(res)).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(res.text).not.toMatch(/stream|Unicode/);
  });

  it('hides an unexpected error behind a 500 and logs it with the request id', async () => {
    const { logger, lines } = capturingLogger();
    const res = await request(app(logger)).get('/api/v1/crash').set('X-Request-Id', 'req-crash');
    expect(res.status).toBe(500);
    expect(res.type).toBe('application/problem+json');
    expect(problemOf(res)).toMatchObject({ title: 'Internal Server Error', status: 500 });
    expect(res.text).not.toMatch(/rows|pg\/db|TypeError/);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'request failed',
        req_id: 'req-crash',
        err: expect.objectContaining({ type: 'TypeError' }) as unknown,
      }),
    );
    // The request log line carries the id and the final status too.
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'request', req_id: 'req-crash', status: 500 }),
    );
  });

  it('answers 401 with WWW-Authenticate when a route needs a user and none is signed in', async () => {
    const res = await request(app()).get('/api/v1/me');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.type).toBe('application/problem+json');
  });

  it('runs authenticate before the module routes', async () => {
    const res = await request(app()).get('/api/v1/me').set('Authorization', 'Bearer u1:customer');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: 'u1' });
  });

  it('answers 403 to a customer on an admin route', async () => {
    const res = await request(app())
      .get('/api/v1/admin')
      .set('Authorization', 'Bearer u1:customer');
    expect(res.status).toBe(403);
    const admin = await request(app()).get('/api/v1/admin').set('Authorization', 'Bearer a:admin');
    expect(admin.status).toBe(200);
  });
});
