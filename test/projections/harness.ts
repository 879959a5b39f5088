import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import { Pool, type PoolClient } from 'pg';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import type { AppState, Role } from '../../src/api/auth';
import { catalogModules, type CatalogApiDeps } from '../../src/catalog';
import type { ConsumerRunner } from '../../src/consumers';
import { createPostgresEventStore, type EventStore } from '../../src/eventstore';
import { createLogger } from '../../src/infra/logger';
import {
  projections,
  readYourWrites,
  startProjections,
  type ProjectionDefinition,
} from '../../src/projections';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** A fresh database with the PostgreSQL event store, a pool, and the projections' runners. */
export interface CatalogHarness {
  db: TestDatabase;
  store: EventStore;
  pool: Pool;
  deps: CatalogApiDeps;
  warnings: Array<Record<string, unknown>>;
  /** The app with the catalog and inventory modules, `x-test-role` standing in for tokens. */
  app: Koa<AppState>;
  http(): ReturnType<typeof request>;
  /** Starts the projections' runners (again, after `stopProjections`). */
  startProjections(): void;
  stopProjections(): Promise<void>;
  /** Resolves when every projection has passed every event committed so far. */
  caughtUp(): Promise<void>;
  close(): Promise<void>;
}

export const ADMIN_ID = '00000000-0000-4000-8000-00000000000a';
export const CUSTOMER_ID = '00000000-0000-4000-8000-00000000000c';

/** Stands in for identity's middleware: `x-test-role: admin|customer` is the caller. */
const testAuthenticate: Koa.Middleware<AppState> = async (ctx, next) => {
  const role = ctx.get('x-test-role') as Role | '';
  if (role === 'admin' || role === 'customer') {
    const id = role === 'admin' ? ADMIN_ID : CUSTOMER_ID;
    ctx.state.user = { id, email: `${role}@example.com`, role };
  }
  await next();
};

export async function createCatalogHarness(
  options: { runProjections?: boolean; readYourWritesTimeoutMs?: number } = {},
): Promise<CatalogHarness> {
  const db = await createTestDatabase();
  const store = await createPostgresEventStore({ connectionString: db.connectionString });
  const pool = new Pool({ connectionString: db.connectionString, max: 20 });
  // Dropping the database ends the pool's sockets; without a listener that is an 'error'.
  pool.on('error', () => undefined);
  const warnings: Array<Record<string, unknown>> = [];
  const logger = { warn: (details: object) => void warnings.push({ ...details }) };
  const deps: CatalogApiDeps = {
    store,
    pool,
    lowStockThreshold: 10,
    awaitProjections: readYourWrites(pool, {
      logger,
      ...(options.readYourWritesTimeoutMs !== undefined && {
        timeoutMs: options.readYourWritesTimeoutMs,
      }),
    }),
  };
  const app = createApp({
    logger: createLogger({ level: 'silent' }),
    checkReady: () =>
      Promise.resolve({
        status: 'ready',
        checks: { database: 'ok', migrations: 'ok', consumers: 'ok' },
      }),
    modules: catalogModules(deps),
    authenticate: testAuthenticate,
  });
  let runners: ConsumerRunner[] = [];
  const silent = { info() {}, warn() {}, error() {} };
  const harness: CatalogHarness = {
    db,
    store,
    pool,
    deps,
    warnings,
    app,
    http: () => request(app.callback()),
    startProjections() {
      runners = startProjections(pool, store, silent, { pollMs: 100 });
    },
    async stopProjections() {
      await Promise.all(runners.splice(0).map((r) => r.stop()));
    },
    async caughtUp() {
      // Every committed event, not `store.headPosition()`: that stops below transactions still
      // open anywhere on the server (other suites), and would be reached too early.
      const { rows: last } = await pool.query<{ head: string | null }>(
        'SELECT max(position)::text AS head FROM es_events',
      );
      const head = BigInt(last[0]?.head ?? '0');
      await waitFor(async () => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM consumer_checkpoints
            WHERE name = ANY($1) AND position >= $2`,
          [projections().map((p) => p.name), head.toString()],
        );
        return rows[0]?.n === projections().length;
      }, 'projections to reach the head');
    },
    async close() {
      await harness.stopProjections();
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
  if (options.runProjections !== false) harness.startProjections();
  return harness;
}

/** Polls `condition` until it holds; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  message: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${message}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every row of the tables, in a stable order, as plain JSON (for before/after rebuilds). */
export async function snapshot(
  pool: Pick<Pool, 'query'> | Pick<PoolClient, 'query'>,
  projection: ProjectionDefinition,
): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of projection.tables) {
    const { rows } = await pool.query<{ row: unknown }>(
      `SELECT to_jsonb(t) AS row FROM ${table} t ORDER BY to_jsonb(t)::text`,
    );
    out[table] = rows.map((r) => r.row);
  }
  return out;
}

export const newId = (): string => randomUUID();

/** How many events the store holds: a refused request must not change it. */
export async function countEvents(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM es_events');
  return rows[0]?.n ?? 0;
}

/** The body of a valid `POST /products`, with a unique name and SKU unless overridden. */
export function newProduct(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const tag = randomUUID().slice(0, 8);
  return {
    name: `Product ${tag}`,
    description: `Described ${tag}`,
    price: 19.99,
    sku: `SKU-${tag}`,
    ...overrides,
  };
}

/** `expect.stringMatching` typed as `unknown`, for object literals under the no-unsafe rules. */
export const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern) as unknown;
/** `expect.any(String)`, typed as `unknown`. */
export const anyString = (): unknown => expect.any(String) as unknown;
