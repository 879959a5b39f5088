import { measureBareHttp, startBareHttpServer } from '../../bench/support/bare-http';
import { HttpClient } from '../../bench/support/orders-client';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** bench:orders' B2: a bare node:http server in its own process, and the rate against it. */
describe('bench B2: bare node:http baseline', () => {
  it('serves each POST from its parsed body, refuses bad JSON, and stops with its process', async () => {
    const server = await startBareHttpServer();
    const client = new HttpClient(2);
    try {
      expect(alive(server.pid)).toBe(true);
      const items = [{ product_id: 'p', quantity: 3 }];
      const first = await client.request('POST', server.url, { items });
      expect(first).toEqual({
        status: 201,
        body: expect.objectContaining({ id: 'bare-1', status: 'pending', items }) as unknown,
      });
      const second = await client.request('POST', server.url, { items: [] });
      expect(second.body).toMatchObject({ id: 'bare-2', items: [] });
      const bad = await fetch(server.url, { method: 'POST', body: '{not json' });
      expect(bad.status).toBe(400);
    } finally {
      client.close();
      await server.stop();
    }
    expect(alive(server.pid)).toBe(false);
  });

  it('counts the round trips completed in the window, back to back on every connection', async () => {
    const result = await measureBareHttp({ concurrency: 4, warmupMs: 200, durationMs: 1000 });
    // Each of 4 clients waits for its answer before it sends again: at least a few dozen
    // round trips a second on any machine, and each one's latency recorded.
    expect(result.ops).toBeGreaterThan(20);
    expect(result.seconds).toBe(1);
    expect(result.opsPerSec).toBe(result.ops);
    expect(result.latency.p50).toBeGreaterThan(0);
  });
});
