import { Writable } from 'node:stream';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { readinessCheck, type ReadinessProbes } from '../../src/api/health.routes';
import { createLogger } from '../../src/infra/logger';

/** A logger whose JSON lines land in `lines`. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

const healthy: ReadinessProbes = {
  database: () => Promise.resolve(),
  migrations: () => Promise.resolve(true),
};

function appWith(probes: ReadinessProbes, logger = capturingLogger().logger) {
  return createApp({ logger, checkReady: readinessCheck(probes) }).callback();
}

describe('GET /health and /ready', () => {
  it.each(['/health', '/api/v1/health'])('%s answers 200 ok', async (path) => {
    const res = await request(appWith(healthy)).get(path);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it.each(['/ready', '/api/v1/ready'])('%s answers 200 when every check passes', async (path) => {
    const res = await request(appWith(healthy)).get(path);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', consumers: 'ok' },
    });
  });

  it('is 503 naming the database when it is down, without the error text', async () => {
    const res = await request(
      appWith({
        ...healthy,
        database: () => Promise.reject(new Error('password authentication failed')),
      }),
    ).get('/ready');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'not_ready',
      checks: { database: 'unavailable', migrations: 'ok', consumers: 'ok' },
    });
  });

  it('is 503 when migrations are pending', async () => {
    const res = await request(
      appWith({ ...healthy, migrations: () => Promise.resolve(false) }),
    ).get('/ready');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      checks: { database: 'ok', migrations: 'pending', consumers: 'ok' },
    });
  });

  it('is 503 when a probe hangs, within the time limit', async () => {
    const res = await request(
      appWith({ ...healthy, database: () => new Promise(() => undefined), timeoutMs: 50 }),
    ).get('/ready');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ checks: { database: 'timeout' } });
  });

  it('is 503 listing the stuck consumers', async () => {
    const consumerStatuses = () =>
      Promise.resolve([
        { name: 'orders-projection', state: 'running', stuck: false },
        { name: 'fulfilment', state: 'retrying', stuck: true },
      ]);
    const res = await request(appWith({ ...healthy, consumerStatuses })).get('/ready');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'not_ready',
      checks: { database: 'ok', migrations: 'ok', consumers: 'stuck' },
      stuck_consumers: [{ name: 'fulfilment', state: 'retrying' }],
    });
  });

  it('stays ready while consumers run and none is stuck', async () => {
    const consumerStatuses = () => Promise.resolve([{ name: 'p', state: 'live', stuck: false }]);
    const res = await request(appWith({ ...healthy, consumerStatuses })).get('/ready');
    expect(res.status).toBe(200);
  });
});

describe('errors as problem+json', () => {
  it('answers an unknown path with 404 problem+json', async () => {
    const res = await request(appWith(healthy)).get('/api/v1/nothing');
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/problem+json');
    expect(JSON.parse(res.text)).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'No resource at this path',
    });
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const res = await request(appWith(healthy)).post('/health');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toContain('GET');
    expect(res.type).toBe('application/problem+json');
  });

  it('turns an unexpected error into a bare 500, logged with the request id', async () => {
    const { logger, lines } = capturingLogger();
    const failing = () => Promise.reject(new Error('secret internals'));
    const app = createApp({ logger, checkReady: failing }).callback();
    const res = await request(app).get('/ready').set('X-Request-Id', 'req-123');
    expect(res.status).toBe(500);
    expect(res.type).toBe('application/problem+json');
    expect(res.headers['x-request-id']).toBe('req-123');
    expect(JSON.parse(res.text)).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred; quote the X-Request-Id when reporting it',
    });
    expect(res.text).not.toContain('secret internals');
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        msg: 'request failed',
        req_id: 'req-123',
        err: expect.objectContaining({ message: 'secret internals' }) as unknown,
      }),
    );
  });

  it('generates a request id when none (or a malformed one) is given', async () => {
    const res = await request(appWith(healthy))
      .get('/health')
      .set('X-Request-Id', 'bad id\twith tab');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('logger', () => {
  it('redacts secrets at any depth', () => {
    const { logger, lines } = capturingLogger();
    logger.info(
      {
        password: 'p1',
        req: {
          headers: { authorization: 'Bearer t' },
          body: { payment: { card_number: '4242424242424242', cvc: '123' } },
        },
        tokens: { access_token: 'a', refresh_token: 'r' },
        user: { email: 'kept@example.com' },
      },
      'hello',
    );
    const line = lines.join('\n');
    for (const secret of ['p1', 'Bearer t', '4242424242424242', '"123"', '"a"', '"r"']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('kept@example.com');
  });
});
