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

/** The whole application as `npm start` runs it (`node dist/main.js all`), in a child process. */
export interface RunningApp {
  /** `http://127.0.0.1:<port>/api/v1` */
  apiBase: string;
  gatewayUrl: string;
  pid: number;
  /** The child's stdout and stderr (JSON log lines at BENCH_LOG_LEVEL, the banner). */
  logFile: string;
  /** VmRSS and VmHWM of the child from /proc, bytes; undefined once it has exited. */
  memory(): { rss: number; hwm: number } | undefined;
  /** Rejects if the process exits before `stop()` was called (never resolves). */
  crashed: Promise<never>;
  /** SIGTERM, then SIGKILL after 15 s; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
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
 * Starts `node dist/main.js all` on `connectionString` (as DATABASE_URL: external mode, so
 * JWT_SECRET and the admin come from the environment), on free ports for the API and the
 * mock gateway (latency 0, no failures, timeouts or errors), logging at BENCH_LOG_LEVEL
 * (default warn) into a file: the child writes it directly, so its logs cost the bench
 * process nothing. Resolves once `GET /ready` answers 200; stops the process if it fails.
 */
export async function startApp(
  connectionString: string,
  /** Called as soon as the process exists, before it is ready: register `stop` for cleanup. */
  onSpawn: (stop: () => Promise<void>) => void,
): Promise<RunningApp> {
  const port = await freePort();
  const gatewayPort = await freePort();
  const logFile = path.join(tmpdir(), `orderflow-bench-app-${process.pid}.log`);
  const fd = openSync(logFile, 'w');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: connectionString,
    JWT_SECRET,
    ADMIN_EMAIL: BENCH_ADMIN.email,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
    HOST,
    PORT: String(port),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
    PAYMENT_GATEWAY_PORT: String(gatewayPort),
    PAYMENT_LATENCY_MS: '0',
    PAYMENT_FAILURE_RATE: '0',
    PAYMENT_TIMEOUT_RATE: '0',
    PAYMENT_ERROR_RATE: '0',
  };
  delete env.PAYMENT_GATEWAY_URL; // the gateway the process runs itself
  delete env.KAFKA_BROKERS;
  let child: ChildProcess;
  try {
    // BENCH_NODE_ARGS: extra node flags for the service, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`.
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    child = spawn(process.execPath, [...nodeArgs, MAIN, 'all'], {
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
      if (stopping !== undefined) return;
      const message = `the application exited unasked (${code ?? signal}); its log: ${logFile}`;
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
        throw new Error(`the application did not stop within 15 s of SIGTERM (see ${logFile})`);
      }
      if (child.exitCode !== null && child.exitCode !== 0) {
        throw new Error(`the application exited ${child.exitCode} on SIGTERM (see ${logFile})`);
      }
    })());

  // Whatever way this process exits (process.exit included, SIGKILL excepted), the child
  // gets its SIGTERM: an 'exit' listener runs synchronously, and kill() is a plain syscall.
  const killOnExit = (): void => void (running() && child.kill('SIGTERM'));
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  onSpawn(stop);
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise<void>((resolve) => child.once('error', () => resolve()));
    throw new Error(`could not start ${process.execPath} ${MAIN}`);
  }

  const apiBase = `http://${HOST}:${port}/api/v1`;
  try {
    await waitReady(`http://${HOST}:${port}/ready`, running, 60_000);
  } catch (error) {
    await stop().catch(() => undefined);
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; exit ${child.exitCode ?? child.signalCode}; ` +
        `log ${logFile}:\n${tail(logFile, 4000)}`,
      { cause: error },
    );
  }
  return {
    apiBase,
    gatewayUrl: `http://${HOST}:${gatewayPort}`,
    pid,
    logFile,
    memory: () => (running() ? procMemory(pid) : undefined),
    crashed,
    stop,
  };
}

async function waitReady(url: string, running: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!running()) throw new Error('the application exited before it was ready');
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not 200 within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** VmRSS and VmHWM (peak RSS) of a process, bytes, from /proc/<pid>/status. */
export function procMemory(pid: number): { rss: number; hwm: number } | undefined {
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

function tail(file: string, chars: number): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '(no log)';
  }
}
