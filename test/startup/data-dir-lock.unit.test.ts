import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  acquireDataDirLock,
  DataDirLockedError,
  stopOrphanedPostgres,
} from '../../src/infra/data-dir-lock';

describe('acquireDataDirLock', () => {
  let dir: string;
  let lockFile: string;
  let other: ChildProcess | undefined;

  beforeEach(() => {
    dir = path.join(mkdtempSync(path.join(tmpdir(), 'orderflow-lock-')), 'data');
    lockFile = path.join(dir, 'orderflow.pid');
  });

  afterEach(() => {
    other?.kill('SIGKILL');
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  /** A live process that is not this one; a node process is what another orderflow is. */
  async function livePid(command: 'node' | 'sleep' = 'node'): Promise<number> {
    other =
      command === 'node'
        ? spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
        : spawn('sleep', ['60']);
    await new Promise((resolve) => other!.once('spawn', resolve));
    return other.pid!;
  }

  it('creates the data dir and a lock file holding our pid, removed on release', () => {
    const lock = acquireDataDirLock(dir);
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    lock.release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it('refuses while another live orderflow holds it, naming dir and pid', async () => {
    const pid = await livePid();
    acquireDataDirLock(dir); // make the dir
    writeFileSync(lockFile, `${pid}\n`);
    expect(() => acquireDataDirLock(dir)).toThrow(new DataDirLockedError(dir, pid).message);
    expect(() => acquireDataDirLock(dir)).toThrow(
      `orderflow is already running on ${dir} (pid ${pid}); stop it first`,
    );
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(pid)); // left alone
  });

  it('takes over a stale lock whose process is gone', async () => {
    const pid = await livePid();
    other!.kill('SIGKILL');
    await new Promise((resolve) => other!.once('exit', resolve));
    acquireDataDirLock(dir).release();
    writeFileSync(lockFile, `${pid}\n`);
    const lock = acquireDataDirLock(dir);
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });

  it('takes over a lock naming a live process that is not node (a reused pid)', async () => {
    const pid = await livePid('sleep');
    acquireDataDirLock(dir).release();
    writeFileSync(lockFile, `${pid}\n`);
    const lock = acquireDataDirLock(dir);
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });

  it('does not remove a lock file that another process took meanwhile', () => {
    const lock = acquireDataDirLock(dir);
    writeFileSync(lockFile, '999999\n');
    lock.release();
    expect(existsSync(lockFile)).toBe(true);
  });
});

describe('stopOrphanedPostgres', () => {
  it('does nothing when no postmaster.pid names a live postgres', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orderflow-pg-'));
    try {
      expect(await stopOrphanedPostgres(dir)).toBeUndefined();
      writeFileSync(path.join(dir, 'postmaster.pid'), `${process.pid}\n${dir}\n`); // not postgres
      expect(await stopOrphanedPostgres(dir)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
