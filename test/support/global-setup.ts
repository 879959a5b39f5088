import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { startEmbeddedPostgres } from '../../src/infra/embedded-postgres';
import { migrate } from '../../src/infra/migrations';
import { allMigrationSets } from '../../src/infra/schema';
import { withDatabase } from './database';
import { freePort } from './free-port';

/**
 * One PostgreSQL for the whole run: the server in DATABASE_URL when set, otherwise an
 * embedded one in a temporary directory. A template database with every migration applied
 * is made once; each test suite clones it (see `createTestDatabase`).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.ORDERFLOW_TEST_ADMIN_URL) return; // another project of this run set it up

  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'orderflow-test-pg-'));
    chmodSync(dataDir, 0o755); // as root the server runs as `postgres`, which must get in
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'data'),
      port: await freePort(),
      persistent: false,
    });
    Object.assign(globalThis, { __orderflowPg: pg, __orderflowPgDir: dataDir });
    adminUrl = pg.connectionString;
    console.log(`\n[test] DATABASE_URL not set: started embedded PostgreSQL (${dataDir})`);
  }

  const template = `orderflow_tpl_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();

  const pool = new Pool({ connectionString: withDatabase(adminUrl, template), max: 2 });
  await migrate(pool, allMigrationSets);
  await pool.end();

  process.env.ORDERFLOW_TEST_ADMIN_URL = adminUrl;
  process.env.ORDERFLOW_TEST_TEMPLATE = template;
}
