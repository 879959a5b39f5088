import type Router from '@koa/router';
import type { AppState } from './auth';

/** What `/ready` answers: each check `ok` or a short reason, never internals. */
export interface ReadyReport {
  status: 'ready' | 'not_ready';
  checks: { database: CheckResult; migrations: CheckResult; consumers: CheckResult };
  /** The consumers that are stuck, when `checks.consumers` is `stuck`. */
  stuck_consumers?: Array<{ name: string; state: string }>;
}

export type CheckResult = 'ok' | 'unavailable' | 'pending' | 'stuck' | 'timeout';

/** A consumer's health as the consumer runner reports it (only what `/ready` needs). */
export interface ConsumerHealth {
  name: string;
  state: string;
  stuck: boolean;
}

export interface ReadinessProbes {
  /** Resolves when the database answers; rejects otherwise. */
  database: () => Promise<unknown>;
  /** True when every known migration is applied. */
  migrations: () => Promise<boolean>;
  /** The running consumers; absent while no consumer runs in this process. */
  consumerStatuses?: () => Promise<ConsumerHealth[]>;
  /** Per-probe limit, so `/ready` answers even when the database hangs. Default 2 s. */
  timeoutMs?: number;
}

/** Builds `checkReady` from probes; a probe that throws or hangs fails its own check only. */
export function readinessCheck(probes: ReadinessProbes): () => Promise<ReadyReport> {
  const limit = probes.timeoutMs ?? 2_000;
  return async () => {
    const [database, migrations, consumers] = await Promise.all([
      probe(limit, async () => (await probes.database(), 'ok' as const)),
      probe(limit, async () => ((await probes.migrations()) ? 'ok' : 'pending')),
      probe(limit, async () => (probes.consumerStatuses ? await probes.consumerStatuses() : [])),
    ]);
    const stuck = Array.isArray(consumers) ? consumers.filter((c) => c.stuck) : [];
    const checks = {
      database,
      migrations,
      consumers: Array.isArray(consumers) ? (stuck.length > 0 ? 'stuck' : 'ok') : consumers,
    } as const;
    const ready = Object.values(checks).every((c) => c === 'ok');
    return {
      status: ready ? 'ready' : 'not_ready',
      checks,
      ...(stuck.length > 0 && {
        stuck_consumers: stuck.map(({ name, state }) => ({ name, state })),
      }),
    };
  };
}

async function probe<A>(
  limitMs: number,
  run: () => Promise<A>,
): Promise<A | 'unavailable' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), limitMs);
  });
  try {
    return await Promise.race([run().catch(() => 'unavailable' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /health`: the process is alive and serving. `GET /ready`: it can do its work
 * (database reachable, schema migrated, no consumer stuck); 503 names the failing check.
 */
export function registerHealthRoutes(
  router: Router<AppState>,
  checkReady: () => Promise<ReadyReport>,
): void {
  router.get('/health', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async (ctx) => {
    const report = await checkReady();
    ctx.set('Cache-Control', 'no-store');
    ctx.status = report.status === 'ready' ? 200 : 503;
    ctx.body = report;
  });
}
