import request from 'supertest';
import { testApp } from './app-fixture';

const app = () => testApp().callback();

describe('/docs', () => {
  it('serves the Swagger UI page, loading its files from /docs/assets (no CDN)', async () => {
    const res = await request(app()).get('/docs');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('<div id="swagger-ui"></div>');
    const sources = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThanOrEqual(4);
    for (const source of sources) expect(source).toMatch(/^\/docs\/assets\//);
  });

  it('serves every file the page loads', async () => {
    const page = await request(app()).get('/docs');
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    for (const source of sources) {
      const res = await request(app()).get(source).buffer(true);
      expect({ source, status: res.status }).toEqual({ source, status: 200 });
      const size = Buffer.isBuffer(res.body) ? res.body.length : res.text.length;
      expect(size).toBeGreaterThan(0);
    }
  });

  it('serves the bundle as JavaScript and the stylesheet as CSS', async () => {
    const js = await request(app()).get('/docs/assets/swagger-ui-bundle.js');
    expect(js.type).toMatch(/javascript$/);
    expect(js.text).toContain('SwaggerUIBundle');
    const css = await request(app()).get('/docs/assets/swagger-ui.css');
    expect(css.type).toBe('text/css');
  });

  it('points the page at /openapi.json', async () => {
    const res = await request(app()).get('/docs/assets/swagger-initializer.js');
    expect(res.status).toBe(200);
    expect(res.text).toContain("url: '/openapi.json'");
    expect(res.text).not.toContain('petstore');
  });

  it.each([
    '/docs/assets/package.json',
    '/docs/assets/..%2Fpackage.json',
    '/docs/assets/..%2F..%2F..%2Fpackage.json',
    '/docs/assets/index.html',
  ])('answers %s with a 404 problem', async (path) => {
    const res = await request(app()).get(path);
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/problem+json');
  });
});
