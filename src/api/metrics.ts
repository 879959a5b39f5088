import type Router from '@koa/router';
import type Koa from 'koa';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../infra/logger';
import type { AppState } from './auth';

/** What the consumer gauges need of each consumer (`ConsumerStatus` has more). */
export interface ConsumerLag {
  name: string;
  lag: number;
  stuck: boolean;
}

export interface MetricsOptions {
  /** Read on every scrape for the consumer gauges; absent while no consumer exists. */
  consumerStatuses?: () => Promise<ConsumerLag[]>;
  /** Where a failing `consumerStatuses` is reported (the scrape itself still succeeds). */
  logger?: Logger;
  /** Default Node metrics (event loop, heap, GC...); on unless `false`. */
  defaultMetrics?: boolean;
}

/** The process's Prometheus metrics: its own registry and the request-timing middleware. */
export interface Metrics {
  registry: Registry;
  /** Times each request into `http_request_duration_seconds`; mount outside the error mapper. */
  middleware: Koa.Middleware;
}

/** The label for requests no route matched: raw paths would make label cardinality unbounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Builds the metrics on a registry of their own (never prom-client's global one, so tests and
 * several apps in one process do not collide): default Node metrics, the HTTP duration
 * histogram by method, route template and status, and per-consumer lag and stuck gauges read
 * on scrape.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  // One read of the statuses per scrape for both gauges: prom-client collects the metrics of
  // a scrape concurrently, so the second collect joins the read the first one started.
  let inflight: Promise<ConsumerLag[]> | undefined;
  const readStatuses = (): Promise<ConsumerLag[]> =>
    (inflight ??= (options.consumerStatuses?.() ?? Promise.resolve([]))
      .catch((error: unknown) => {
        options.logger?.warn({ err: error }, 'metrics: reading consumer statuses failed');
        return [];
      })
      .finally(() => {
        inflight = undefined;
      }));

  const consumerGauge = (name: string, help: string, value: (s: ConsumerLag) => number) => {
    const gauge: Gauge<'consumer'> = new Gauge({
      name,
      help,
      labelNames: ['consumer'] as const,
      registers: [registry],
      collect: async () => {
        const statuses = await readStatuses();
        gauge.reset();
        for (const status of statuses) gauge.set({ consumer: status.name }, value(status));
      },
    });
  };
  consumerGauge(
    'orderflow_consumer_lag_events',
    'Events appended that the consumer has not processed yet',
    (s) => s.lag,
  );
  consumerGauge(
    'orderflow_consumer_stuck',
    '1 when the consumer has made no progress on pending events for too long',
    (s) => (s.stuck ? 1 : 0),
  );

  const middleware: Koa.Middleware = async (ctx, next) => {
    const end = duration.startTimer();
    try {
      await next();
    } finally {
      end({ method: ctx.method, route: routeTemplate(ctx), status: String(ctx.status) });
    }
  };
  return { registry, middleware };
}

interface RouterLayer {
  path: string | RegExp;
  methods: string[];
}

/**
 * The template of the route that served the request (`/api/v1/products/:id`), or
 * `unmatched`. Read from every layer the routers matched, not from `ctx._matchedRoute`,
 * because a router middleware that throws (authentication) leaves that pointing at itself.
 */
export function routeTemplate(ctx: Koa.Context): string {
  const matched = (ctx as { matched?: RouterLayer[] }).matched ?? [];
  const route = [...matched]
    .reverse()
    .find((layer) => layer.methods.includes(ctx.method) && typeof layer.path === 'string');
  return typeof route?.path === 'string' ? route.path : UNMATCHED_ROUTE;
}

/** `GET /metrics`: the registry in Prometheus's text format. */
export function registerMetricsRoute(router: Router<AppState>, registry: Registry): void {
  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
}
