import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../infra/config';
import { MIN_SECRET_LENGTH } from './tokens';

export const JWT_SECRET_FILE = 'jwt-secret';

export interface JwtSecret {
  value: string;
  /** `env`: JWT_SECRET; `file`: kept from an earlier run; `generated`: made just now. */
  source: 'env' | 'file' | 'generated';
  /** The file it was read from or written to (absent for `env`). */
  file?: string;
}

/**
 * `JWT_SECRET` when set; otherwise the secret kept in `<dataDir>/jwt-secret`, created on
 * first use (48 random bytes, base64url, mode 0600), so tokens survive restarts in embedded
 * mode. Several processes that share no data directory must share `JWT_SECRET` instead.
 * Never log the value.
 */
export function loadOrCreateJwtSecret(config: Pick<Config, 'jwtSecret' | 'dataDir'>): JwtSecret {
  if (config.jwtSecret !== undefined) return { value: config.jwtSecret, source: 'env' };
  const file = path.join(config.dataDir, JWT_SECRET_FILE);
  const kept = readSecret(file);
  if (kept !== undefined) return { value: kept, source: 'file', file };

  mkdirSync(config.dataDir, { recursive: true });
  const value = randomBytes(48).toString('base64url');
  // Written aside, then linked into place: the file appears complete or not at all, and of
  // two processes starting at once one links and the other reads the winner's secret.
  const draft = `${file}.${process.pid}.tmp`;
  writeFileSync(draft, `${value}\n`, { mode: 0o600 });
  try {
    linkSync(draft, file);
  } catch (error) {
    const raced = (error as { code?: unknown }).code === 'EEXIST' ? readSecret(file) : undefined;
    if (raced !== undefined) return { value: raced, source: 'file', file };
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
  return { value, source: 'generated', file };
}

function readSecret(file: string): string | undefined {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
  const value = content.trim();
  if (value.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `${file} holds no usable JWT secret (fewer than ${MIN_SECRET_LENGTH} characters): ` +
        'delete it to have a new one generated (signing everyone out), or set JWT_SECRET',
    );
  }
  return value;
}
