/**
 * The bare node:http server of bench:orders' B2 baseline, run as its own process (as the
 * service is): every POST's JSON body is read and parsed, and answered 201 with a JSON
 * order of about the size the service returns. No framework, no database: what one
 * request costs on this machine's CPU with nothing of the application in it.
 * Prints `listening <port>` on stdout once it accepts connections.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

let served = 0;

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let body: { items?: unknown } | undefined;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items?: unknown };
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
      return;
    }
    served += 1;
    const order = {
      id: `bare-${served}`,
      status: 'pending',
      items: body?.items ?? [],
      total_price: 42.5,
      currency: 'USD',
      created_at: new Date().toISOString(),
    };
    const json = JSON.stringify(order);
    res.writeHead(201, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(json),
    });
    res.end(json);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
