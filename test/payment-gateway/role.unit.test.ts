import { createLogger } from '../../src/infra/logger';
import { startPaymentGateway } from '../../src/payment-gateway';
import { freePort } from '../support/free-port';

describe('startPaymentGateway (role payment-gateway)', () => {
  const logger = createLogger({ level: 'silent' });

  it('listens on PAYMENT_GATEWAY_PORT with the PAYMENT_* settings', async () => {
    const port = await freePort();
    const gateway = await startPaymentGateway({
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
      startPaymentGateway({ env: { PAYMENT_TIMEOUT_RATE: 'often' }, logger }),
    ).rejects.toThrow(/PAYMENT_TIMEOUT_RATE/);
  });
});
