import { backoffDelay, sleep, untilAborted } from '../../src/consumers/backoff';
import { consumerLockKey, leaderApplicationName } from '../../src/consumers/leadership';

describe('backoff', () => {
  const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles from the base delay, with jitter in the upper half, and caps at the maximum', () => {
    for (let i = 0; i < 200; i += 1) {
      const [d1, d2, d3, d10] = [1, 2, 3, 10].map((attempt) => backoffDelay(policy, attempt));
      expect(d1).toBeGreaterThanOrEqual(50);
      expect(d1).toBeLessThanOrEqual(100);
      expect(d2).toBeGreaterThanOrEqual(100);
      expect(d2).toBeLessThanOrEqual(200);
      expect(d3).toBeGreaterThanOrEqual(200);
      expect(d3).toBeLessThanOrEqual(400);
      expect(d10).toBeGreaterThanOrEqual(500);
      expect(d10).toBeLessThanOrEqual(1_000);
    }
  });

  it('sleep ends early when aborted, and untilAborted leaves the promise running', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const slept = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await slept;
    expect(Date.now() - started).toBeLessThan(1_000);
    await sleep(10_000, controller.signal); // already aborted: immediate

    let settled = false;
    const slow = new Promise<void>((resolve) => setTimeout(() => resolve(), 50)).then(() => {
      settled = true;
    });
    await untilAborted(slow, controller.signal);
    expect(settled).toBe(false);
    await slow;
  });
});

describe('leadership naming', () => {
  it('derives a stable 64-bit key and a bounded application_name per consumer', () => {
    expect(consumerLockKey('orders')).toBe(consumerLockKey('orders'));
    expect(consumerLockKey('orders')).not.toBe(consumerLockKey('inventory'));
    expect(BigInt.asIntN(64, consumerLockKey('orders'))).toBe(consumerLockKey('orders'));
    expect(leaderApplicationName('x'.repeat(100)).length).toBeLessThanOrEqual(63);
  });
});
