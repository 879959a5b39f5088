import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadOrCreateJwtSecret } from '../../src/identity/jwt-secret';

describe('loadOrCreateJwtSecret', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'orderflow-jwt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes JWT_SECRET when set, and writes nothing', () => {
    const secret = 'x'.repeat(40);
    expect(loadOrCreateJwtSecret({ jwtSecret: secret, dataDir: dir })).toEqual({
      value: secret,
      source: 'env',
    });
    expect(() => statSync(path.join(dir, 'jwt-secret'))).toThrow();
  });

  it('creates a 48-byte base64url secret, mode 0600, in a data dir that does not exist yet', () => {
    const dataDir = path.join(dir, 'nested', '.data');
    const created = loadOrCreateJwtSecret({ dataDir });
    const file = path.join(dataDir, 'jwt-secret');
    expect(created).toEqual({
      value: expect.stringMatching(/^[\w-]{64}$/) as unknown,
      source: 'generated',
      file,
    });
    expect(Buffer.from(created.value, 'base64url')).toHaveLength(48);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(created.value);
  });

  it('keeps the secret between runs', () => {
    const first = loadOrCreateJwtSecret({ dataDir: dir });
    const second = loadOrCreateJwtSecret({ dataDir: dir });
    expect(second).toEqual({ ...first, source: 'file' });
  });

  it('refuses a file that holds no usable secret rather than signing with it', () => {
    writeFileSync(path.join(dir, 'jwt-secret'), 'short\n');
    expect(() => loadOrCreateJwtSecret({ dataDir: dir })).toThrow(/no usable JWT secret/);
  });
});
