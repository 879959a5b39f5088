import { Writable } from 'node:stream';
import type Koa from 'koa';
import { createApp, type AppDeps } from '../../src/api/app';
import type { AppState } from '../../src/api/auth';
import { createLogger, type Logger } from '../../src/infra/logger';

/** A logger whose JSON lines land in `lines`, parsed. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

const ready = () =>
  Promise.resolve({
    status: 'ready' as const,
    checks: { database: 'ok' as const, migrations: 'ok' as const, consumers: 'ok' as const },
  });

/** An app with a quiet logger and a ready check that passes, plus whatever `deps` override. */
export function testApp(deps: Partial<AppDeps> = {}): Koa<AppState> {
  return createApp({ logger: capturingLogger().logger, checkReady: ready, ...deps });
}
