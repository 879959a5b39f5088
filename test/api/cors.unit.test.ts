import request from 'supertest';
import { testApp } from './app-fixture';

const preflight = (app: ReturnType<typeof testApp>, origin: string) =>
  request(app.callback())
    .options('/api/v1/health')
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'POST')
    .set('Access-Control-Request-Headers', 'authorization,content-type');

describe('CORS', () => {
  it('answers a preflight from a listed origin, reflecting it', async () => {
    const app = testApp({ corsOrigins: ['https://shop.example', 'https://admin.example'] });
    const res = await preflight(app, 'https://admin.example');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://admin.example');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']?.toLowerCase()).toContain('authorization');
    expect(res.headers.vary).toContain('Origin');
  });

  it('gives an unlisted origin no CORS headers', async () => {
    const app = testApp({ corsOrigins: ['https://shop.example'] });
    const res = await preflight(app, 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await request(app.callback())
      .get('/health')
      .set('Origin', 'https://evil.example');
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows any origin with *', async () => {
    const res = await preflight(testApp({ corsOrigins: ['*'] }), 'https://anywhere.example');
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('exposes X-Request-Id to the page, on errors too', async () => {
    const app = testApp({ corsOrigins: ['https://shop.example'] });
    const res = await request(app.callback())
      .get('/api/v1/nothing')
      .set('Origin', 'https://shop.example');
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
  });

  it('sends no CORS headers when no origins are configured', async () => {
    const res = await preflight(testApp(), 'https://shop.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
