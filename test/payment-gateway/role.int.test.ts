import { createLogger } from '../../src/infra/logger';
import { startPaymentGateway } from '../../src/payment-gateway';
import { freePort } from '../support/free-port';
import { gatewayBooks } from './books';

describe('startPaymentGateway (role payment-gateway)', () => {
  const logger = createLogger({ level: 'silent' });
  const books = gatewayBooks();

  it('listens on PAYMENT_GATEWAY_PORT with the PAYMENT_* settings', async () => {
    const port = await freePort();
    const gateway = await startPaymentGateway({
      pool: books.pool(),
      env: { PAYMENT_GATEWAY_PORT: String(port), PAYMENT_FAILURE_RATE: '1' },
      logger,
    });
    try {
      expect(gateway.url).toBe(`http://127.0.0.1:${port}`);
      const health = await fetch(`${gateway.url}/health`);
      expect(await health.json()).toEqual({ status: 'ok' });
    } finally {
      await gateway.close();
    }
  });

  it('refuses to start on a bad setting, naming it', async () => {
    await expect(
      startPaymentGateway({ pool: books.pool(), env: { PAYMENT_TIMEOUT_RATE: 'often' }, logger }),
    ).rejects.toThrow(/PAYMENT_TIMEOUT_RATE/);
  });
});
