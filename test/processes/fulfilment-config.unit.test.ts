import * as E from 'fp-ts/Either';
import {
  defaultFulfilmentConfig,
  fulfilmentConfigFromEnv,
} from '../../src/processes/fulfilment.config';

describe('fulfilment settings from the environment', () => {
  it('uses the defaults when nothing (or only blanks) is set', () => {
    expect(fulfilmentConfigFromEnv({})).toEqual(E.right(defaultFulfilmentConfig));
    expect(fulfilmentConfigFromEnv({ STOCK_RETRY_ATTEMPTS: '  ' })).toEqual(
      E.right(defaultFulfilmentConfig),
    );
    expect(defaultFulfilmentConfig).toMatchObject({
      stockRetryAttempts: 5,
      stockRetryBaseMs: 2_000,
      reservationTtlMs: 15 * 60_000,
      concurrency: 512,
      paymentTokenRetentionHours: 24,
    });
  });

  it('takes each variable', () => {
    const config = fulfilmentConfigFromEnv({
      STOCK_RETRY_ATTEMPTS: '3',
      STOCK_RETRY_BASE_MS: '0',
      RESERVATION_TTL_MS: '60000',
      PAYMENT_CHECK_DELAY_MS: '250',
      FULFILMENT_CONCURRENCY: '1',
      PAYMENT_TOKEN_RETENTION_HOURS: '48',
    });
    expect(config).toEqual(
      E.right({
        ...defaultFulfilmentConfig,
        stockRetryAttempts: 3,
        stockRetryBaseMs: 0,
        reservationTtlMs: 60_000,
        paymentCheckDelayMs: 250,
        concurrency: 1,
        paymentTokenRetentionHours: 48,
      }),
    );
  });

  it('names every bad variable', () => {
    const config = fulfilmentConfigFromEnv({
      STOCK_RETRY_ATTEMPTS: '0',
      FULFILMENT_CONCURRENCY: 'many',
      RESERVATION_TTL_MS: '-5',
      PAYMENT_TOKEN_RETENTION_HOURS: '0',
    });
    expect(E.isLeft(config)).toBe(true);
    const errors = E.isLeft(config) ? config.left : [];
    expect(errors).toHaveLength(4);
    for (const name of [
      'STOCK_RETRY_ATTEMPTS',
      'FULFILMENT_CONCURRENCY',
      'RESERVATION_TTL_MS',
      'PAYMENT_TOKEN_RETENTION_HOURS',
    ]) {
      expect(errors.some((e) => e.startsWith(`${name}:`))).toBe(true);
    }
  });
});
