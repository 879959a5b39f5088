import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** Connection string of a fresh database with every migration applied. */
  connectionString: string;
  name: string;
  /** Drops the database, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test suite: a clone of the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.ORDERFLOW_TEST_ADMIN_URL;
  const template = process.env.ORDERFLOW_TEST_TEMPLATE;
  if (!adminUrl || !template) {
    throw new Error('No test database server: run this suite through jest (the int/e2e projects)');
  }
  const name = `orderflow_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`);
  return {
    name,
    connectionString: withDatabase(adminUrl, name),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The same server, another database. */
export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}
