import {
  type CpuSnapshot,
  mainThreadShare,
  type MainThreadTimes,
  parseSchedstat,
} from '../../bench/support/cpu';

const snapshot = (atMs: number, mainThreads: MainThreadTimes[]): CpuSnapshot => ({
  serviceMs: 0,
  postgresMs: 0,
  benchMs: 0,
  machineBusyMs: 0,
  machineTotalMs: 0,
  mainThreads,
  atMs,
});

describe('the bench: where the service event loop spends a phase', () => {
  it('reads a schedstat line as ms on a CPU and ms waiting for one', () => {
    expect(parseSchedstat('7140000000 2660000000 4738\n')).toEqual({
      runMs: 7_140,
      waitMs: 2_660,
    });
  });

  it('gives NaN for a line that is not a schedstat line', () => {
    expect(parseSchedstat('')).toEqual({ runMs: NaN, waitMs: NaN });
  });

  it('reports the main thread that ran most, as shares of the time between the snapshots', () => {
    const before = snapshot(1_000, [
      { runMs: 100, waitMs: 10 },
      { runMs: 500, waitMs: 50 },
    ]);
    const after = snapshot(11_000, [
      { runMs: 2_100, waitMs: 1_010 }, // 20 % on a CPU
      { runMs: 7_600, waitMs: 2_750 }, // 71 % on a CPU, 27 % waiting
    ]);
    expect(mainThreadShare(before, after)).toEqual({ onCpuPct: 71, waitingPct: 27 });
  });

  it('passes over a main thread that could not be read', () => {
    const unread = { runMs: NaN, waitMs: NaN };
    const read = (runMs: number, waitMs: number) => ({ runMs, waitMs });
    const share = { onCpuPct: 50, waitingPct: 10 };
    // Before and after the thread that was read.
    const [start, end] = [
      snapshot(0, [unread, read(0, 0)]),
      snapshot(1_000, [unread, read(500, 100)]),
    ];
    expect(mainThreadShare(start, end)).toEqual(share);
    const [first, last] = [
      snapshot(0, [read(0, 0), unread]),
      snapshot(1_000, [read(500, 100), unread]),
    ];
    expect(mainThreadShare(first, last)).toEqual(share);
  });

  it('gives NaN when no main thread could be read', () => {
    const unread = { runMs: NaN, waitMs: NaN };
    expect(mainThreadShare(snapshot(0, [unread]), snapshot(10, [unread]))).toEqual({
      onCpuPct: NaN,
      waitingPct: NaN,
    });
  });
});
