import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Helpers for e2e suites that run the built program (`dist/main.js <role>`) as child
 * processes: launch a role, wait for its banner, stop it (SIGTERM, then SIGKILL), call HTTP.
 */
export const ROOT = path.resolve(__dirname, '../..');
export const MAIN = path.join(ROOT, 'dist/main.js');

export interface RoleProcess {
  role: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node dist/main.js <role>` with `env` over the test's own environment. */
export function launch(role: string, env: Record<string, string>): RoleProcess {
  const child = spawn(process.execPath, [MAIN, role], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { role, child, output: () => output, exited };
}

const running = (proc: RoleProcess): boolean =>
  proc.child.exitCode === null && proc.child.signalCode === null;

/** Resolves once the banner is printed; fails with the output if the process exits first. */
export async function started(proc: RoleProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output().includes('orderflow is running')) {
    if (!running(proc) || Date.now() > deadline) {
      throw new Error(
        `${proc.role} did not start (exit ${proc.child.exitCode ?? proc.child.signalCode}):\n${proc.output()}`,
      );
    }
    await sleep(100);
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stop(proc: RoleProcess, graceMs = 10_000): Promise<void> {
  if (!running(proc)) return;
  proc.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const outcome = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout' && running(proc)) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}

/** SIGKILL, no chance to clean up; resolves once the process is gone. */
export async function crash(proc: RoleProcess): Promise<void> {
  if (!running(proc)) return;
  proc.child.kill('SIGKILL');
  await proc.exited;
}

/** The sandbox card that always succeeds, as a `payment` of `POST /orders`. */
export const TEST_CARD = {
  method: 'card',
  card_number: '4242424242424242',
  exp_month: 12,
  exp_year: 2099,
  cvc: '123',
};

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface Res {
  status: number;
  body: Record<string, unknown>;
}

/** One HTTP call with a JSON or form body and an optional bearer token. */
export async function call(
  base: string,
  method: string,
  urlPath: string,
  options: { token?: string; json?: unknown; form?: Record<string, string> } = {},
): Promise<Res> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const res = await fetch(`${base}${urlPath}`, { method, headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  if (text) {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { raw: text };
    }
  }
  return { status: res.status, body: parsed };
}
