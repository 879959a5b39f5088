import { spawn } from 'node:child_process';
import path from 'node:path';
import { ADDRESS, HttpClient } from './orders-client';
import { closedLoop, summarize, type ClosedLoopResult } from './timing';

export interface BareHttpServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `bare-http-server.ts` in a child process and resolves once it listens. */
export function startBareHttpServer(timeoutMs = 15_000): Promise<BareHttpServer> {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', path.join(__dirname, 'bare-http-server.ts')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    if (running()) child.kill('SIGTERM');
    await exited;
  };
  // The bench exiting on a signal mid-B2 skips `stop`: the server must not outlive it (as
  // startService does for the service; an 'exit' listener runs synchronously).
  const killOnExit = (): void => void (running() && child.kill('SIGTERM'));
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`bare HTTP server: not listening after ${timeoutMs} ms`));
    }, timeoutMs);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const port = /^listening (\d+)$/m.exec(out)?.[1];
      if (port === undefined) return;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${port}/orders`, pid: child.pid!, stop });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`bare HTTP server exited before listening (${signal ?? code})`));
    });
  });
}

/** The body each B2 request sends: an order of two lines, shaped as bench:orders' POSTs. */
const BODY = {
  items: [
    { product_id: '0190f0c4-6a2b-7c3d-8e4f-5a6b7c8d9e0f', quantity: 2 },
    { product_id: '0190f0c4-6a2b-7c3d-8e4f-5a6b7c8d9e10', quantity: 1 },
  ],
  shipping_address: ADDRESS,
  payment: { method: 'token', token: 'tok_ok_visa_4242_bench' },
};

/**
 * B2: POST round trips per second between this process and a bare node:http server in
 * another, over `concurrency` kept-alive connections, back to back: the same HTTP client,
 * connection count and body as the full phase, with no application behind the socket. What
 * the machine's CPUs allow for HTTP alone, on the day: beside it, processed orders/s shows
 * how much of that the application's work leaves, whatever the disk does (B1's measure).
 */
export async function measureBareHttp(options: {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}): Promise<ClosedLoopResult> {
  const server = await startBareHttpServer();
  const client = new HttpClient(options.concurrency);
  try {
    const workers = Array.from({ length: options.concurrency }, (_, i) => i);
    const phase = closedLoop(workers, async () => {
      const res = await client.request('POST', server.url, BODY);
      if (res.status !== 201) throw new Error(`bare HTTP server answered ${res.status}`);
      return 1;
    });
    return summarize(await phase({ warmupMs: options.warmupMs, durationMs: options.durationMs }));
  } finally {
    client.close();
    await server.stop();
  }
}
