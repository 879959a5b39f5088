import Router from '@koa/router';
import request from 'supertest';
import type { AppState } from '../../src/api/auth';
import { BODY_LIMIT_BYTES } from '../../src/api/body';
import type { RouteModule } from '../../src/api/route-module';
import { testApp } from './app-fixture';

/** Echoes the parsed body back, so a test sees what a route would see. */
const echo: RouteModule = {
  name: 'echo',
  register(router: Router<AppState>) {
    router.post('/echo', (ctx) => {
      ctx.body = { received: ctx.request.body ?? null };
    });
    router.put('/echo', (ctx) => {
      ctx.body = { received: ctx.request.body ?? null };
    });
  },
  openapi: {},
};

const app = () => testApp({ modules: [echo] }).callback();

describe('request bodies', () => {
  it('parses JSON', async () => {
    const res = await request(app())
      .post('/api/v1/echo')
      .send({ email: 'a@b.c', items: [1] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: { email: 'a@b.c', items: [1] } });
  });

  it('parses JSON sent with a +json media type', async () => {
    const res = await request(app())
      .put('/api/v1/echo')
      .set('Content-Type', 'application/merge-patch+json')
      .send('{"a":1}');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: { a: 1 } });
  });

  it('parses a urlencoded form (login sends username and password)', async () => {
    const res = await request(app())
      .post('/api/v1/echo')
      .type('form')
      .send({ username: 'a@b.c', password: 'secret123' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: { username: 'a@b.c', password: 'secret123' } });
  });

  it('accepts a POST without a body and without a content type', async () => {
    const res = await request(app()).post('/api/v1/echo');
    expect(res.status).toBe(200);
  });

  it.each([
    ['a syntax error', '{"email": '],
    ['a bare string (objects and arrays only)', '"hello"'],
    ['a __proto__ key', '{"__proto__": {"admin": true}}'],
  ])('answers malformed JSON (%s) with 400 problem+json', async (_, text) => {
    const res = await request(app())
      .post('/api/v1/echo')
      .set('Content-Type', 'application/json')
      .send(text);
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 400, title: 'Bad Request', code: 'malformed_body' });
    expect(body.detail).toMatch(/malformed JSON/);
    // Nothing of the parser: no "Unexpected end of JSON input", no echo of the body.
    expect(res.text).not.toMatch(/Unexpected|SyntaxError|position|__proto__/);
  });

  it.each([
    ['text/plain', 'hello'],
    ['application/xml', '<a/>'],
    ['multipart/form-data; boundary=x', '--x--'],
  ])('answers a %s body with 415 problem+json', async (type, text) => {
    const res = await request(app()).post('/api/v1/echo').set('Content-Type', type).send(text);
    expect(res.status).toBe(415);
    expect(res.type).toBe('application/problem+json');
    expect(JSON.parse(res.text)).toMatchObject({ status: 415, code: 'unsupported_media_type' });
  });

  it('answers a body over 1 MiB with 413 problem+json', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT_BYTES) });
    const res = await request(app())
      .post('/api/v1/echo')
      .set('Content-Type', 'application/json')
      .send(big);
    expect(res.status).toBe(413);
    expect(res.type).toBe('application/problem+json');
    expect(JSON.parse(res.text)).toMatchObject({ status: 413, code: 'body_too_large' });
  });

  it('accepts a body just under 1 MiB', async () => {
    const pad = 'x'.repeat(BODY_LIMIT_BYTES - 20);
    const res = await request(app())
      .post('/api/v1/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad }));
    expect(res.status).toBe(200);
  });

  it('leaves GET requests alone, whatever their content type', async () => {
    const res = await request(app()).get('/health').set('Content-Type', 'text/plain');
    expect(res.status).toBe(200);
  });
});
