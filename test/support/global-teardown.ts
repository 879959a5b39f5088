import { rmSync } from 'node:fs';
import { Client } from 'pg';
import type { EmbeddedPostgresHandle } from '../../src/infra/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.ORDERFLOW_TEST_ADMIN_URL;
  const template = process.env.ORDERFLOW_TEST_TEMPLATE;
  if (adminUrl && template) {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  }
  delete process.env.ORDERFLOW_TEST_ADMIN_URL;
  const { __orderflowPg: pg, __orderflowPgDir: dir } = globalThis as {
    __orderflowPg?: EmbeddedPostgresHandle;
    __orderflowPgDir?: string;
  };
  if (pg) await pg.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
