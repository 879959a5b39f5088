import { startHousekeeping } from '../../src/infra/housekeeping';

const logger = () => ({ info: jest.fn(), warn: jest.fn() });

describe('startHousekeeping', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs a pass at start and then every interval, logging what went', async () => {
    const log = logger();
    const pass = jest.fn().mockResolvedValueOnce(3).mockResolvedValue(0);
    const job = startHousekeeping({
      what: 'widgets',
      pass,
      logger: log,
      intervalMs: 1_000,
      details: { retentionHours: 24 },
    });
    expect(pass).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2_500);
    expect(pass).toHaveBeenCalledTimes(3);
    // Only a pass that removed something is logged.
    expect(log.info).toHaveBeenCalledTimes(1);
    expect(log.info).toHaveBeenCalledWith({ pruned: 3, retentionHours: 24 }, 'widgets pruned');
    await job.stop();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(pass).toHaveBeenCalledTimes(3);
  });

  it('logs a failed pass and tries again at the next one', async () => {
    const log = logger();
    const error = new Error('database down');
    const pass = jest.fn().mockRejectedValueOnce(error).mockResolvedValue(1);
    const job = startHousekeeping({ what: 'widgets', pass, logger: log, intervalMs: 1_000 });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(log.warn).toHaveBeenCalledWith({ err: error }, 'could not prune widgets');
    expect(log.info).toHaveBeenCalledWith({ pruned: 1 }, 'widgets pruned');
    await job.stop();
  });

  it('stop waits for a pass in flight', async () => {
    let finish: (n: number) => void = () => undefined;
    const pass = jest.fn(() => new Promise<number>((resolve) => (finish = resolve)));
    const job = startHousekeeping({ what: 'widgets', pass, logger: logger(), intervalMs: 1_000 });
    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish(0);
    await stopping;
    expect(stopped).toBe(true);
  });
});
