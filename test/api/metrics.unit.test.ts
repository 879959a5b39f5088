import type Router from '@koa/router';
import request from 'supertest';
import type { AppState } from '../../src/api/auth';
import { createMetrics, type ConsumerLag } from '../../src/api/metrics';
import { notFound } from '../../src/api/problem';
import type { RouteModule } from '../../src/api/route-module';
import { capturingLogger, testApp } from './app-fixture';

const products: RouteModule = {
  name: 'products',
  register(router: Router<AppState>) {
    router.get('/products/:id', (ctx) => {
      if (ctx.params.id === 'missing') throw notFound();
      ctx.body = { id: ctx.params.id };
    });
  },
  openapi: {},
};

/** The sample lines of one metric, e.g. `name{labels} value`. */
const samples = (text: string, name: string) =>
  text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));

describe('/metrics', () => {
  it('serves the Prometheus text format with default Node metrics', async () => {
    const res = await request(testApp().callback()).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain');
    expect(res.text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(res.text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('times requests by method, route template and status, never the raw path', async () => {
    const app = testApp({ modules: [products] }).callback();
    await request(app).get('/api/v1/products/abc-123').expect(200);
    await request(app).get('/api/v1/products/missing').expect(404);
    await request(app).get('/api/v1/no/such/path/xyz').expect(404);
    const text = (await request(app).get('/metrics')).text;
    const counts = samples(text, 'http_request_duration_seconds_count');
    expect(counts).toContain(
      'http_request_duration_seconds_count{method="GET",route="/api/v1/products/:id",status="200"} 1',
    );
    expect(counts).toContain(
      'http_request_duration_seconds_count{method="GET",route="/api/v1/products/:id",status="404"} 1',
    );
    expect(counts).toContain(
      'http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1',
    );
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).not.toMatch(/abc-123|xyz/);
  });

  it('labels a route by its template even when a router middleware refuses the request', async () => {
    const app = testApp({
      modules: [products],
      authenticate: () => Promise.reject(notFound()),
    }).callback();
    await request(app).get('/api/v1/products/abc').expect(404);
    const text = (await request(app).get('/metrics')).text;
    expect(samples(text, 'http_request_duration_seconds_count')).toContain(
      'http_request_duration_seconds_count{method="GET",route="/api/v1/products/:id",status="404"} 1',
    );
  });

  it('reads consumer lag and stuck flags on each scrape', async () => {
    let statuses: ConsumerLag[] = [
      { name: 'products-projection', lag: 12, stuck: false },
      { name: 'fulfilment', lag: 3, stuck: true },
    ];
    const metrics = createMetrics({
      defaultMetrics: false,
      consumerStatuses: () => Promise.resolve(statuses),
    });
    const app = testApp({ metrics }).callback();
    let text = (await request(app).get('/metrics')).text;
    expect(samples(text, 'orderflow_consumer_lag_events')).toEqual([
      'orderflow_consumer_lag_events{consumer="products-projection"} 12',
      'orderflow_consumer_lag_events{consumer="fulfilment"} 3',
    ]);
    expect(samples(text, 'orderflow_consumer_stuck')).toEqual([
      'orderflow_consumer_stuck{consumer="products-projection"} 0',
      'orderflow_consumer_stuck{consumer="fulfilment"} 1',
    ]);

    statuses = [{ name: 'products-projection', lag: 0, stuck: false }];
    text = (await request(app).get('/metrics')).text;
    expect(samples(text, 'orderflow_consumer_lag_events')).toEqual([
      'orderflow_consumer_lag_events{consumer="products-projection"} 0',
    ]);
    expect(samples(text, 'orderflow_consumer_stuck')).toEqual([
      'orderflow_consumer_stuck{consumer="products-projection"} 0',
    ]);
  });

  it('still answers when the consumer statuses cannot be read, and logs why', async () => {
    const { logger, lines } = capturingLogger();
    const metrics = createMetrics({
      logger,
      defaultMetrics: false,
      consumerStatuses: () => Promise.reject(new Error('database down')),
    });
    const res = await request(testApp({ metrics }).callback()).get('/metrics');
    expect(res.status).toBe(200);
    expect(samples(res.text, 'orderflow_consumer_lag_events')).toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'metrics: reading consumer statuses failed' }),
    );
  });

  it('keeps each app on a registry of its own', () => {
    expect(createMetrics({ defaultMetrics: false }).registry).not.toBe(
      createMetrics({ defaultMetrics: false }).registry,
    );
  });
});
