import * as E from 'fp-ts/Either';
import { loadConfig, redactUrl, type Config } from '../../src/infra/config';

const decode = (env: NodeJS.ProcessEnv): E.Either<string[], Config> => loadConfig(env, '/srv/app');

describe('loadConfig', () => {
  it('defaults every variable', () => {
    expect(decode({})).toEqual(
      E.right({
        databaseUrl: undefined,
        dataDir: '/srv/app/.data',
        embeddedPgPort: 5433,
        host: '127.0.0.1',
        port: 3000,
        logLevel: 'info',
        eventStore: 'postgres',
        eventStoreConnectionString: undefined,
        kafkaBrokers: undefined,
        jwtSecret: undefined,
        adminEmail: undefined,
        adminPassword: undefined,
        lowStockThreshold: 10,
        corsOrigins: undefined,
        idempotencyKeyRetentionHours: 24,
      }),
    );
  });

  it('reads the variables it knows', () => {
    const config = decode({
      DATABASE_URL: 'postgres://u:p@db:5432/orderflow',
      DATA_DIR: '/var/lib/orderflow',
      EMBEDDED_PG_PORT: '6543',
      PORT: '8080',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'debug',
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: 'esdb://kurrentdb:2113?tls=false',
      KAFKA_BROKERS: 'kafka:19092, kafka2:19092',
      JWT_SECRET: 'x'.repeat(40),
      ADMIN_EMAIL: 'root@example.com',
      ADMIN_PASSWORD: 'correct horse battery',
      LOW_STOCK_THRESHOLD: '3',
      CORS_ORIGINS: 'https://shop.example.com, http://localhost:5173',
      IDEMPOTENCY_KEY_RETENTION_HOURS: '72',
    });
    expect(config).toEqual(
      E.right({
        databaseUrl: 'postgres://u:p@db:5432/orderflow',
        dataDir: '/var/lib/orderflow',
        embeddedPgPort: 6543,
        host: '0.0.0.0',
        port: 8080,
        logLevel: 'debug',
        eventStore: 'eventstoredb',
        eventStoreConnectionString: 'esdb://kurrentdb:2113?tls=false',
        kafkaBrokers: ['kafka:19092', 'kafka2:19092'],
        jwtSecret: 'x'.repeat(40),
        adminEmail: 'root@example.com',
        adminPassword: 'correct horse battery',
        lowStockThreshold: 3,
        corsOrigins: ['https://shop.example.com', 'http://localhost:5173'],
        idempotencyKeyRetentionHours: 72,
      }),
    );
  });

  it('resolves a relative DATA_DIR against the working directory', () => {
    expect(E.map((c: Config) => c.dataDir)(decode({ DATA_DIR: 'state' }))).toEqual(
      E.right('/srv/app/state'),
    );
  });

  it('treats an empty value as unset', () => {
    expect(
      E.map((c: Config) => [c.port, c.databaseUrl])(decode({ PORT: '', DATABASE_URL: ' ' })),
    ).toEqual(E.right([3000, undefined]));
  });

  it.each([
    ['PORT', 'abc', 'PORT: expected a TCP port (an integer from 1 to 65535), got "abc"'],
    ['PORT', '70000', 'PORT: expected a TCP port (an integer from 1 to 65535), got "70000"'],
    ['EMBEDDED_PG_PORT', '1.5', 'EMBEDDED_PG_PORT: expected a TCP port'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL: expected "fatal" | "error"'],
    ['EVENT_STORE', 'mongo', 'EVENT_STORE: expected "postgres" | "eventstoredb", got "mongo"'],
    ['KAFKA_BROKERS', 'kafka', 'KAFKA_BROKERS: expected a comma-separated list of host:port'],
    ['LOW_STOCK_THRESHOLD', '-1', 'LOW_STOCK_THRESHOLD: expected a whole number (0 or more)'],
    // The contract keeps a key at least 24 hours: a shorter retention is refused.
    [
      'IDEMPOTENCY_KEY_RETENTION_HOURS',
      '12',
      'IDEMPOTENCY_KEY_RETENTION_HOURS: expected a whole number of hours, 24 or more',
    ],
  ])('rejects %s=%s naming the variable', (key, value, message) => {
    const result = decode({ [key]: value });
    expect(E.isLeft(result) && result.left).toEqual([expect.stringContaining(message)]);
  });

  it('rejects a short JWT_SECRET without echoing it', () => {
    const result = decode({ JWT_SECRET: 'hunter2' });
    expect(E.isLeft(result) && result.left).toEqual([
      'JWT_SECRET: expected at least 32 characters',
    ]);
  });

  it('lists every bad variable, without echoing a URL that may hold a password', () => {
    const result = decode({ PORT: 'x', DATABASE_URL: 'mysql://u:secret@h/db' });
    expect(E.isLeft(result) && result.left).toEqual([
      'DATABASE_URL: expected a postgres:// or postgresql:// URL',
      expect.stringContaining('PORT:'),
    ]);
  });
});

describe('redactUrl', () => {
  it('hides the password', () => {
    expect(redactUrl('postgres://u:secret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
  });
});
