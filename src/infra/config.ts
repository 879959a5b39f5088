import path from 'node:path';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as t from 'io-ts';
import { decodeEnv, fromString, Port, WholeNumber } from './env';

/**
 * Runtime configuration, read once from the environment at startup (DESIGN.md section 8).
 * Every variable is optional; an empty value counts as unset, so `FOO=` in a compose file
 * falls back to the default instead of failing.
 */
export interface Config {
  /** External PostgreSQL; when absent, embedded PostgreSQL runs in `dataDir`. */
  databaseUrl?: string;
  /** Absolute path of the data directory (embedded PostgreSQL, lock file). */
  dataDir: string;
  embeddedPgPort: number;
  /** HTTP listen address; loopback unless told otherwise (docker sets 0.0.0.0). */
  host: string;
  port: number;
  logLevel: LogLevel;
  eventStore: EventStoreKind;
  eventStoreConnectionString?: string;
  /** Kafka bootstrap brokers; when absent the bridge and the Kafka consumers stay off. */
  kafkaBrokers?: string[];
  /** Signs access and refresh tokens; when absent one is generated and kept in `dataDir`. */
  jwtSecret?: string;
  /** The administrator ensured at startup; defaults apply (and are printed) when absent. */
  adminEmail?: string;
  adminPassword?: string;
  /** Default reorder threshold of a new product's inventory. */
  lowStockThreshold: number;
  /** How long an `Idempotency-Key` is kept, in hours (at least the contract's 24). */
  idempotencyKeyRetentionHours: number;
  /** Origins allowed by CORS (`*` for any); absent: no CORS headers. */
  corsOrigins?: string[];
}

const LogLevel = t.keyof({
  fatal: null,
  error: null,
  warn: null,
  info: null,
  debug: null,
  trace: null,
  silent: null,
});
export type LogLevel = t.TypeOf<typeof LogLevel>;

const EventStoreKind = t.keyof({ postgres: null, eventstoredb: null });
export type EventStoreKind = t.TypeOf<typeof EventStoreKind>;

const PostgresUrl = fromString('a postgres:// or postgresql:// URL', (s) => {
  try {
    const url = new URL(s);
    return ['postgres:', 'postgresql:'].includes(url.protocol) ? s : undefined;
  } catch {
    return undefined;
  }
});

const BrokerList = fromString('a comma-separated list of host:port', (s) => {
  const brokers = s
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  return brokers.length > 0 && brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b))
    ? brokers
    : undefined;
});

const Count = WholeNumber('a whole number (0 or more)', 0);

const RetentionHours = WholeNumber('a whole number of hours, 24 or more', 24);

const Secret = fromString('at least 32 characters', (s) => (s.length >= 32 ? s : undefined));

const OriginList = fromString('* or a comma-separated list of origins', (s) => {
  const origins = s
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  return origins.length > 0 ? origins : undefined;
});

const NonEmpty = fromString('a non-empty string', (s) => (s.trim() === '' ? undefined : s.trim()));

const Env = t.partial({
  DATABASE_URL: PostgresUrl,
  DATA_DIR: NonEmpty,
  EMBEDDED_PG_PORT: Port,
  PORT: Port,
  HOST: NonEmpty,
  LOG_LEVEL: LogLevel,
  EVENT_STORE: EventStoreKind,
  EVENTSTORE_CONNECTION_STRING: NonEmpty,
  KAFKA_BROKERS: BrokerList,
  JWT_SECRET: Secret,
  ADMIN_EMAIL: NonEmpty,
  ADMIN_PASSWORD: NonEmpty,
  LOW_STOCK_THRESHOLD: Count,
  CORS_ORIGINS: OriginList,
  IDEMPOTENCY_KEY_RETENTION_HOURS: RetentionHours,
});

/** Values that may carry credentials are never echoed back in an error message. */
const SECRET = new Set([
  'DATABASE_URL',
  'EVENTSTORE_CONNECTION_STRING',
  'JWT_SECRET',
  'ADMIN_PASSWORD',
]);

/**
 * Decodes the environment into a `Config`; `Left` lists one line per bad variable, naming
 * it and what it should be, for the caller to print before exiting.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): E.Either<string[], Config> {
  return pipe(
    decodeEnv(Env, env, SECRET),
    E.map((v) => ({
      databaseUrl: v.DATABASE_URL,
      dataDir: path.resolve(cwd, v.DATA_DIR ?? '.data'),
      embeddedPgPort: v.EMBEDDED_PG_PORT ?? 5433,
      host: v.HOST ?? '127.0.0.1',
      port: v.PORT ?? 3000,
      logLevel: v.LOG_LEVEL ?? 'info',
      eventStore: v.EVENT_STORE ?? 'postgres',
      eventStoreConnectionString: v.EVENTSTORE_CONNECTION_STRING,
      kafkaBrokers: v.KAFKA_BROKERS,
      jwtSecret: v.JWT_SECRET,
      adminEmail: v.ADMIN_EMAIL,
      adminPassword: v.ADMIN_PASSWORD,
      lowStockThreshold: v.LOW_STOCK_THRESHOLD ?? 10,
      corsOrigins: v.CORS_ORIGINS,
      idempotencyKeyRetentionHours: v.IDEMPOTENCY_KEY_RETENTION_HOURS ?? 24,
    })),
  );
}

/** A connection string with its password replaced, fit for logs and the banner. */
export function redactUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}
