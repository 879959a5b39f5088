import type { CpuPerOrder } from './cpu';
import { cpus } from 'node:os';
import { startNodeFlags, type Topology } from './orders-app';
import { fmt, formatTable, round } from './report';
import type { ClosedLoopResult, Percentiles } from './timing';

/** One load phase, from its first POST to its last order's end. */
export interface OrdersPhase {
  placed: number;
  processed: number;
  failed: number;
  /** Placed orders / (last end - first send), s. */
  seconds: number;
  processedPerSec: number;
  /** Orders that ended inside the sending window / the window: the steady-state rate. */
  inWindowPerSec: number;
  placedPerSec: number;
  /** placement (send, or scheduled send) → OrderProcessed, ms */
  latency: Percentiles;
  /** send → 201, ms */
  postLatency: Percentiles;
  drained: boolean;
  maxLagMs: number;
}

export interface OrdersResults {
  source: 'DATABASE_URL' | 'embedded';
  topology: Topology;
  facts: Record<string, string>;
  /** `cpuYardstickMs`, taken before B1: the machine's single-core speed on the day. */
  yardstickMs: number;
  config: {
    concurrency: number;
    seconds: number;
    warmupSeconds: number;
    b1Seconds: number;
    b1Writers: number;
    b2Seconds: number;
    products: number;
    customers: number;
  };
  b1: ClosedLoopResult;
  /** B1 again after the phases, the service idle: how far the disk's speed moved meanwhile. */
  b1After: ClosedLoopResult;
  /** B2: bare node:http POST round trips, the full phase's concurrency (`bare-http.ts`). */
  b2: ClosedLoopResult;
  full: OrdersPhase;
  /** `target`: at B1 / 24; `measured`: at half the full rate (B1 / 24 was beyond it). */
  half: OrdersPhase & { askedPerSec: number; basis: 'target' | 'measured' | 'fixed' };
  rss: {
    /**
     * The service: max is its VmHWM, sampled every 100 ms; in split mode the sums over its
     * processes (max: the sum of their peaks) and each role's VmHWM.
     */
    service: {
      maxMb: number;
      sampledMaxMb: number;
      atEndMb: number;
      byRoleMaxMb?: Record<string, number>;
    };
    /** This process (load client, order tracker), for information. */
    bench: { maxMb: number; atEndMb: number; maxRssOsMb: number };
  };
  checks: string[];
  /** Events ahead of each consumer when the full phase's last order was processed. */
  backlog: Record<string, number>;
  /** During the full phase, per placed order: database commits (all sessions), events. */
  perOrder: { commits: number; events: number };
  /** CPU time per placed order in each phase (placement to the last order processed). */
  cpu: { full: CpuPerOrder; half: CpuPerOrder };
  /** Median ms between consecutive events of an order's stream, half-rate orders. */
  steps: Record<string, number>;
}

const TARGETS = { b1Divisor: 12, p99Ms: 500, rssMb: 300 };

/** How the half phase's rate was chosen: in the workload line, and in the table's label. */
const HALF_BASIS = {
  target: 'half the target rate (B1/24)',
  measured: 'half the measured rate (B1/24 was beyond it)',
  fixed: 'a fixed rate (BENCH_HALF_RATE; its p99 is not judged)',
} as const;
const HALF_LABEL = { target: 'B1/24', measured: 'full/2', fixed: 'BENCH_HALF_RATE' } as const;

/** B1 before and after the phases further apart than this factor: the machine moved. */
const B1_DRIFT = 1.25;

export function printOrdersReport(r: OrdersResults): void {
  const target = r.b1.unitsPerSec / TARGETS.b1Divisor;
  // The RSS target is for one process: split mode has none (null in the JSON line).
  const single = r.topology === 'all';
  const met = {
    throughput: r.full.processedPerSec >= target,
    // Judged only at the rate the target names (B1 / 24).
    p99: r.half.basis === 'target' ? r.half.latency.p99 <= TARGETS.p99Ms : null,
    rss: single ? r.rss.service.maxMb < TARGETS.rssMb : null,
  };
  const yes = (ok: boolean | null): string => (ok === null ? '-' : ok ? 'yes' : 'NO');
  const c = r.config;
  console.log(
    r.source === 'embedded'
      ? 'database: embedded PostgreSQL in a temporary directory (DATABASE_URL not set)'
      : 'database: the DATABASE_URL server, in a throw-away database',
  );
  console.log(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}, ` +
      `PostgreSQL ${r.facts.server_version ?? '?'}, synchronous_commit=${r.facts.synchronous_commit ?? '?'}, ` +
      `fsync=${r.facts.fsync ?? '?'}, shared_buffers=${r.facts.shared_buffers ?? '?'}, ` +
      `CPU yardstick ${fmt(r.yardstickMs, 'ms')} (JSON of an order out and back 50,000 ` +
      `times, best of 3; lower is faster)`,
  );
  const node = ['node', ...startNodeFlags()].join(' ');
  const service = single
    ? `the service as \`${node} dist/main.js all\` in a child process`
    : `the service as five child processes \`${node} dist/main.js <role>\` on the one ` +
      'database, one per role';
  console.log(
    `workload: topology ${r.topology}: ${service} (API on 127.0.0.1 over ` +
      `HTTP, projections, fulfilment, inventory, gateway latency 0), the load client in the bench ` +
      `process; ${c.products} products, ${c.customers} customers, ` +
      `orders of 1-3 lines paid with one gateway token; ${c.concurrency} concurrent clients for ` +
      `${c.seconds} s after ${c.warmupSeconds} s warm-up, then open loop at ${HALF_BASIS[r.half.basis]} ` +
      `for ${c.seconds} s; B1 ${c.b1Writers} connections for ${c.b1Seconds} s and B2 ` +
      `${c.concurrency} clients for ${c.b2Seconds} s before the app started\n`,
  );
  // prettier-ignore
  const rows = [
    [`B1 raw INSERT, ${c.b1Writers} connections`, fmt(r.b1.unitsPerSec, 'commits/s'), '-', '-'],
    ['  B1 again after the phases (not judged)', fmt(r.b1After.unitsPerSec, 'commits/s'), '-', '-'],
    [`B2 bare node:http POST, ${c.concurrency} clients`, fmt(r.b2.opsPerSec, 'requests/s'), '-', '-'],
    [`processed orders/s, ${c.concurrency} clients`, fmt(r.full.processedPerSec, 'orders/s'), `>= B1/12 = ${fmt(target)}`, yes(met.throughput)],
    ['  steady rate inside the send window', fmt(r.full.inWindowPerSec, 'orders/s'), '-', '-'],
    ['  POST rate (placed/s)', fmt(r.full.placedPerSec, 'orders/s'), '-', '-'],
    ['  placement→processed p50', fmt(r.full.latency.p50, 'ms'), '-', '-'],
    ['  placement→processed p99', fmt(r.full.latency.p99, 'ms'), '-', '-'],
    ['  POST latency p50 / p99', `${fmt(r.full.postLatency.p50)} / ${fmt(r.full.postLatency.p99, 'ms')}`, '-', '-'],
    [`half rate (asked ${fmt(r.half.askedPerSec, 'orders/s')}, ${HALF_LABEL[r.half.basis]})`, fmt(r.half.processedPerSec, 'orders/s'), '-', '-'],
    ['  placement→processed p50', fmt(r.half.latency.p50, 'ms'), '-', '-'],
    ['  placement→processed p99', fmt(r.half.latency.p99, 'ms'), `<= ${TARGETS.p99Ms} ms`, yes(met.p99)],
    ['  POST latency p50 / p99', `${fmt(r.half.postLatency.p50)} / ${fmt(r.half.postLatency.p99, 'ms')}`, '-', '-'],
    single
      ? ['RSS of the service process, max', fmt(r.rss.service.maxMb, 'MB'), `< ${TARGETS.rssMb} MB`, yes(met.rss)]
      : ['RSS of the service processes (sum of peaks)', fmt(r.rss.service.maxMb, 'MB'), '-', '-'],
    [single ? '  sampled max / at end' : '  sampled max / at end, summed', `${fmt(r.rss.service.sampledMaxMb)} / ${fmt(r.rss.service.atEndMb, 'MB')}`, '-', '-'],
    ['RSS of the bench process (load client), max', fmt(r.rss.bench.maxMb, 'MB'), '-', '-'],
  ];
  console.log(formatTable(['figure', 'value', 'target', 'met?'], rows));
  const drift = r.b1After.unitsPerSec / r.b1.unitsPerSec;
  if (drift < 1 / B1_DRIFT || drift > B1_DRIFT) {
    console.log(
      `\nwarning: B1 moved from ${fmt(r.b1.unitsPerSec)} to ${fmt(r.b1After.unitsPerSec, 'commits/s')} ` +
        'during the run: the machine was not steady, so read the throughput ratio with care',
    );
  }
  const byRole = Object.entries(r.rss.service.byRoleMaxMb ?? {});
  if (byRole.length > 0) {
    console.log(
      `\nRSS peak (VmHWM) per process: ${byRole.map(([role, mb]) => `${role} ${fmt(mb, 'MB')}`).join(', ')}`,
    );
  }
  console.log(
    `\nwhere the time goes: ${fmt(r.perOrder.commits)} database commits and ` +
      `${fmt(r.perOrder.events)} events per order in the full phase ` +
      `(B1 / commits per order = ${fmt(r.b1.unitsPerSec / r.perOrder.commits, 'orders/s')} if commits were all it took);`,
  );
  const cpuLine = (name: string, c: CpuPerOrder) =>
    `${name}: service ${fmt(c.serviceMs)}, PostgreSQL ${fmt(c.postgresMs)}, load client ` +
    `${fmt(c.benchMs, 'ms')} (machine ${fmt(c.machineBusyPct, '% busy')})`;
  console.log(
    `CPU time per order, user + system: ${cpuLine('full', r.cpu.full)}; ${cpuLine('half', r.cpu.half)}`,
  );
  const loopLine = (name: string, c: CpuPerOrder) =>
    `${name}: on a CPU ${fmt(c.mainThread.onCpuPct, '%')}, ready but waiting for a CPU ` +
    `${fmt(c.mainThread.waitingPct, '%')}`;
  console.log(
    `service event loop (the busiest process's main thread, share of the phase): ` +
      `${loopLine('full', r.cpu.full)}; ${loopLine('half', r.cpu.half)}`,
  );
  // What the target asks of the machine at this cost per order, whatever the service's threads.
  const f = r.cpu.full;
  const coresAtTarget = ((f.serviceMs + f.postgresMs + f.benchMs) * target) / 1000;
  console.log(
    `CPU budget: at the target rate (${fmt(target, 'orders/s')}) the full phase's CPU per order ` +
      `would keep ${fmt(coresAtTarget)} cores busy; this machine has ${cpus().length}`,
  );
  console.log(
    `against B2: processed orders/s are ${fmt((100 * r.full.processedPerSec) / r.b2.opsPerSec, '%')} ` +
      `of the bare node:http round trips/s (${fmt(r.b2.opsPerSec, 'requests/s')}): a ratio of ` +
      'CPU work that does not move with the disk, as B1 does',
  );
  console.log(
    `consumers' backlog when the full phase's last order was processed (events): ${Object.entries(
      r.backlog,
    )
      .map(([name, behind]) => `${name} ${behind.toLocaleString('en-US')}`)
      .join(', ')}`,
  );
  console.log(
    `median gaps in an order's stream at half rate: ${Object.entries(r.steps)
      .map(([step, ms]) => `${step} ${fmt(ms, 'ms')}`)
      .join('; ')}`,
  );
  console.log(
    r.checks.length === 0
      ? '\nchecks: all passed'
      : `\nchecks FAILED (distrust the figures):\n- ${r.checks.join('\n- ')}`,
  );

  const phase = (p: OrdersPhase) => ({
    placed: p.placed,
    processed: p.processed,
    failed: p.failed,
    seconds: round(p.seconds, 3),
    processedPerSec: round(p.processedPerSec),
    inWindowPerSec: round(p.inWindowPerSec),
    placedPerSec: round(p.placedPerSec),
    p50Ms: round(p.latency.p50, 1),
    p99Ms: round(p.latency.p99, 1),
    maxMs: round(p.latency.max, 1),
    postP50Ms: round(p.postLatency.p50, 1),
    postP99Ms: round(p.postLatency.p99, 1),
    drained: p.drained,
  });
  console.log(
    JSON.stringify({
      bench: 'orders',
      source: r.source,
      topology: r.topology,
      machine: {
        cpus: cpus().length,
        node: process.version,
        postgres: r.facts.server_version ?? '?',
        synchronousCommit: r.facts.synchronous_commit ?? '?',
        fsync: r.facts.fsync ?? '?',
        cpuYardstickMs: round(r.yardstickMs, 0),
      },
      config: r.config,
      b1CommitsPerSec: round(r.b1.unitsPerSec),
      b1AfterCommitsPerSec: round(r.b1After.unitsPerSec),
      b2RequestsPerSec: round(r.b2.opsPerSec),
      processedPerB2: round(r.full.processedPerSec / r.b2.opsPerSec, 4),
      targetOrdersPerSec: round(target),
      full: phase(r.full),
      half: {
        ...phase(r.half),
        askedPerSec: round(r.half.askedPerSec),
        basis: r.half.basis,
        maxLagMs: round(r.half.maxLagMs, 1),
      },
      rss: {
        service: {
          maxMb: round(r.rss.service.maxMb, 1),
          sampledMaxMb: round(r.rss.service.sampledMaxMb, 1),
          atEndMb: round(r.rss.service.atEndMb, 1),
          ...(r.rss.service.byRoleMaxMb && {
            byRoleMaxMb: Object.fromEntries(
              Object.entries(r.rss.service.byRoleMaxMb).map(([role, mb]) => [role, round(mb, 1)]),
            ),
          }),
        },
        bench: {
          maxMb: round(r.rss.bench.maxMb, 1),
          atEndMb: round(r.rss.bench.atEndMb, 1),
          maxRssOsMb: round(r.rss.bench.maxRssOsMb, 1),
        },
      },
      perOrder: { commits: round(r.perOrder.commits, 1), events: round(r.perOrder.events, 1) },
      cpuPerOrderMs: Object.fromEntries(
        Object.entries(r.cpu).map(([phase, c]) => [
          phase,
          {
            service: round(c.serviceMs, 2),
            postgres: round(c.postgresMs, 2),
            loadClient: round(c.benchMs, 2),
            machineBusyPct: round(c.machineBusyPct, 0),
            mainThreadOnCpuPct: round(c.mainThread.onCpuPct, 0),
            mainThreadWaitingPct: round(c.mainThread.waitingPct, 0),
          },
        ]),
      ),
      stepsP50Ms: Object.fromEntries(Object.entries(r.steps).map(([k, v]) => [k, round(v, 1)])),
      backlogAfterFull: r.backlog,
      met,
      checks: r.checks,
    }),
  );
}
