import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient } from '../../bench/support/orders-client';

/**
 * The bench's HTTP client against a real node:http server that resets a kept-alive
 * connection when the next request arrives on it, before reading it: what a server closing
 * an idle connection does to a request already on its way.
 */
describe('bench HttpClient', () => {
  let server: http.Server;
  let base = '';
  let requests = 0;
  const connections = new Set<unknown>();
  let resetReused = true;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests += 1;
      const socket = req.socket;
      const served = (socket as { served?: number }).served ?? 0;
      (socket as { served?: number }).served = served + 1;
      if (resetReused && served > 0) {
        socket.resetAndDestroy();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ n: requests }));
    });
    server.on('connection', (socket) => connections.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    requests = 0;
    connections.clear();
  });

  it('sends a request again, once, on a new connection when a reused one is reset', async () => {
    resetReused = true;
    const client = new HttpClient(2);
    try {
      // Two kept-alive connections, both of which the server will reset when reused.
      const first = await Promise.all([
        client.request('POST', `${base}/x`, { a: 1 }),
        client.request('POST', `${base}/x`, { a: 2 }),
      ]);
      expect(first.map((r) => r.status)).toEqual([200, 200]);
      // On one of them, reset; sent again on a new connection, not on the other stale one.
      const again = await client.request('POST', `${base}/x`, { a: 3 });
      expect(again).toEqual({ status: 200, body: { n: 4 } });
      expect({ requests, connections: connections.size }).toEqual({ requests: 4, connections: 3 });
    } finally {
      client.close();
    }
  });

  it('does not send again when a fresh connection fails', async () => {
    resetReused = false;
    const client = new HttpClient(1);
    try {
      // Nothing listens there: a fresh connection refused is an error, not a retry.
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      await expect(client.request('GET', `http://127.0.0.1:${port}/`)).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    } finally {
      client.close();
    }
  });
});
