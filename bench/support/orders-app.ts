import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../test/support/free-port';
import { progress } from './cli';
import { sleep } from './timing';

export const BENCH_ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-1' };
const JWT_SECRET = 'orderflow-bench-secret-of-at-least-32-chars';
const HOST = '127.0.0.1';
const ROOT = path.resolve(__dirname, '../..');
/** The built program, as `npm start` runs it; the bench never builds it. */
export const MAIN = path.join(ROOT, 'dist/main.js');
/** What every role prints on stdout once it has started (src/main.ts). */
const BANNER = 'orderflow is running';

/**
 * How the service runs: `all`, one process with every role (`node dist/main.js all`, what
 * `npm start` runs); `split`, one process per role, as test/e2e/multi-process runs them. Both
 * with the node flags of `npm start` (`startNodeFlags`).
 */
export const TOPOLOGIES = ['all', 'split'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/** VmRSS and VmHWM (peak RSS) of a process, bytes. */
export interface Memory {
  rss: number;
  hwm: number;
}

/** One child process of the service: `node dist/main.js <role>`. */
export interface ServiceProcess {
  role: string;
  pid: number;
  /** The child's stdout and stderr (JSON log lines at BENCH_LOG_LEVEL, the banner). */
  logFile: string;
  /** From /proc; undefined once it has exited. */
  memory(): Memory | undefined;
  /** Rejects if the process exits before `stop()` was called (never resolves). */
  crashed: Promise<never>;
  /** SIGTERM, then SIGKILL after 15 s; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

/** The service, in one or several child processes on the same database. */
export interface RunningService {
  topology: Topology;
  /** `http://127.0.0.1:<port>/api/v1` */
  apiBase: string;
  gatewayUrl: string;
  /** In start order. */
  processes: ServiceProcess[];
  /** Summed over the processes, and per role; undefined once any of them has exited. */
  memory(): (Memory & { byRole: Record<string, Memory> }) | undefined;
  /** Rejects as soon as any process exits unasked (never resolves). */
  crashed: Promise<never>;
}

/** What the bench's cleanup needs from the service's processes. */
export interface Cleanup {
  /** Called as soon as each process exists, before it is ready: register `stop` for cleanup. */
  onSpawn(stop: () => Promise<void>): void;
  /**
   * True once the bench cleans up: a process that exits then is not a crash (a Ctrl-C
   * reaches the children too, and the small ones are gone before their `stop()` is called).
   */
  closing(): boolean;
}

/** A process to start: its role, what it needs in its environment, how to tell it is ready. */
interface RoleSpec {
  role: string;
  env: Record<string, string>;
  /** Polled until it answers 200; without one, the banner in the log says the role is up. */
  readyUrl?: string;
}

/**
 * The processes of a topology in start order, with the environment each needs beyond the
 * shared one (database, JWT secret, admin, host, log level). The mock gateway answers at
 * once and never fails, times out or errs. In `split` it starts first (fulfilment and the
 * API call it) and the API last, once everything behind it runs.
 */
function serviceRoles(topology: Topology, ports: { api: number; gateway: number }): RoleSpec[] {
  const gateway = {
    PAYMENT_GATEWAY_PORT: String(ports.gateway),
    PAYMENT_LATENCY_MS: '0',
    PAYMENT_FAILURE_RATE: '0',
    PAYMENT_TIMEOUT_RATE: '0',
    PAYMENT_ERROR_RATE: '0',
  };
  const api = { PORT: String(ports.api) };
  const readyUrl = `http://${HOST}:${ports.api}/ready`;
  if (topology === 'all') return [{ role: 'all', env: { ...gateway, ...api }, readyUrl }];
  const toGateway = { PAYMENT_GATEWAY_URL: `http://${HOST}:${ports.gateway}` };
  return [
    { role: 'payment-gateway', env: gateway },
    { role: 'projector', env: {} },
    { role: 'inventory', env: {} },
    { role: 'fulfilment', env: toGateway },
    { role: 'api', env: { ...api, ...toGateway }, readyUrl },
  ];
}

/** Throws unless dist/main.js exists; returns a warning when src/ looks newer than it. */
export function checkBuilt(): string | undefined {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} not found: run \`npm run build\` first (npm run bench:orders does)`);
  }
  const built = statSync(MAIN).mtimeMs;
  const newer = newestMtime(path.join(ROOT, 'src'));
  return newer > built
    ? `src/ has changes newer than dist/main.js: run \`npm run build\``
    : undefined;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory()
        ? newestMtime(full)
        : entry.name.endsWith('.ts')
          ? statSync(full).mtimeMs
          : 0,
    );
  }
  return newest;
}

/**
 * Starts the service's processes for `topology` one after the other on `connectionString`
 * (as DATABASE_URL: external mode, so JWT_SECRET and the admin come from the environment),
 * on free ports for the API and the mock gateway, each logging at BENCH_LOG_LEVEL (default
 * warn) into its own file: the children write them directly, so their logs cost the bench
 * process nothing. Resolves once the last one is ready; a process that fails to get ready
 * is stopped, the ones before it are left to the cleanups registered through `onSpawn`.
 */
export async function startService(
  connectionString: string,
  topology: Topology,
  cleanup: Cleanup,
): Promise<RunningService> {
  const ports = { api: await freePort(), gateway: await freePort() };
  const processes: ServiceProcess[] = [];
  for (const spec of serviceRoles(topology, ports)) {
    processes.push(await startProcess(connectionString, spec, cleanup));
  }
  const crashed = Promise.race(processes.map((p) => p.crashed));
  crashed.catch(() => undefined); // a failure only for whoever awaits it
  return {
    topology,
    apiBase: `http://${HOST}:${ports.api}/api/v1`,
    gatewayUrl: `http://${HOST}:${ports.gateway}`,
    processes,
    memory: () => {
      const byRole: Record<string, Memory> = {};
      for (const p of processes) {
        const memory = p.memory();
        if (!memory) return undefined;
        byRole[p.role] = memory;
      }
      const sum = (field: keyof Memory): number =>
        Object.values(byRole).reduce((total, m) => total + m[field], 0);
      return { rss: sum('rss'), hwm: sum('hwm'), byRole };
    },
    crashed,
  };
}

/** Spawns `node dist/main.js <role>` and waits until it is ready (stops it if it fails). */
async function startProcess(
  connectionString: string,
  spec: RoleSpec,
  cleanup: Cleanup,
): Promise<ServiceProcess> {
  const name = spec.role === 'all' ? 'the application' : `the ${spec.role} process`;
  const logFile = path.join(tmpdir(), `orderflow-bench-${spec.role}-${process.pid}.log`);
  const fd = openSync(logFile, 'w');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: connectionString,
    JWT_SECRET,
    ADMIN_EMAIL: BENCH_ADMIN.email,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
    HOST,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
  };
  delete env.PAYMENT_GATEWAY_URL; // only where the role spec sets it
  delete env.KAFKA_BROKERS;
  Object.assign(env, spec.env);
  let child: ChildProcess;
  try {
    // The node flags `npm start` gives the service, then BENCH_NODE_ARGS: extra ones, e.g.
    // `--cpu-prof --cpu-prof-dir=/tmp/p`.
    const nodeArgs = [
      ...startNodeFlags(),
      ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    ];
    child = spawn(process.execPath, [...nodeArgs, MAIN, spec.role], {
      cwd: ROOT,
      env,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  // Rejects when the process exits unasked, so a phase fails at once instead of waiting.
  const crashed = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      if (stopping !== undefined || cleanup.closing()) return;
      const message = `${name} exited unasked (${code ?? signal}); its log: ${logFile}`;
      progress(message); // said at once: an HTTP error may reach the bench first
      reject(new Error(`${message}\n${tail(logFile, 4000)}`));
    }),
  );
  crashed.catch(() => undefined); // a failure only for whoever awaits it
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (!running()) return;
      child.kill('SIGTERM');
      let killed = false;
      const timer = setTimeout(() => (killed = running() && child.kill('SIGKILL')), 15_000);
      await exited;
      clearTimeout(timer);
      if (killed) {
        throw new Error(`${name} did not stop within 15 s of SIGTERM (see ${logFile})`);
      }
      if (child.exitCode !== null && child.exitCode !== 0) {
        throw new Error(`${name} exited ${child.exitCode} on SIGTERM (see ${logFile})`);
      }
    })());

  // Whatever way this process exits (process.exit included, SIGKILL excepted), the child
  // gets its SIGTERM: an 'exit' listener runs synchronously, and kill() is a plain syscall.
  const killOnExit = (): void => void (running() && child.kill('SIGTERM'));
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  cleanup.onSpawn(stop);
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise<void>((resolve) => child.once('error', () => resolve()));
    throw new Error(`could not start ${process.execPath} ${MAIN} ${spec.role}`);
  }

  const { readyUrl } = spec;
  const ready = readyUrl
    ? () => answers200(readyUrl)
    : () => Promise.resolve(readLog(logFile).includes(BANNER));
  try {
    await waitReady(ready, running, 60_000, readyUrl ? `${readyUrl} 200` : 'its banner');
  } catch (error) {
    await stop().catch(() => undefined);
    throw new Error(
      `${name}: ${error instanceof Error ? error.message : String(error)}; exit ${child.exitCode ?? child.signalCode}; ` +
        `log ${logFile}:\n${tail(logFile, 4000)}`,
      { cause: error },
    );
  }
  return {
    role: spec.role,
    pid,
    logFile,
    memory: () => (running() ? procMemory(pid) : undefined),
    crashed,
    stop,
  };
}

async function waitReady(
  ready: () => Promise<boolean>,
  running: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!running()) throw new Error('exited before it was ready');
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

async function answers200(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false; // not listening yet
  }
}

/** VmRSS and VmHWM (peak RSS) of a process, bytes, from /proc/<pid>/status. */
function procMemory(pid: number): Memory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  return Number.isFinite(rss) && Number.isFinite(hwm) ? { rss, hwm } : undefined;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '(no log)';
  }
}

/**
 * The node flags of package.json's `start` script (`node <flags> dist/main.js all`), so the
 * bench runs the service as `npm start` does.
 */
export function startNodeFlags(root = ROOT): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const words = pkg.scripts.start.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf('dist/main.js'));
}

const tail = (file: string, chars: number): string => readLog(file).slice(-chars);
