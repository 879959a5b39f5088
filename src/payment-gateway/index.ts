import * as E from 'fp-ts/Either';
import type { Pool } from 'pg';
import type { Logger } from '../infra/logger';
import { createPaymentGateway, type PaymentGateway, type RunningGateway } from './gateway';
import { gatewayOptionsFromEnv, type GatewayOptions } from './options';

export { TEST_CARDS } from './cards';
export { createPaymentGateway, type PaymentGateway, type RunningGateway } from './gateway';
export type { ChargeEntry, LedgerEntry, RefundEntry } from './ledger';
export { gatewayMigrations } from './schema';
export {
  DEFAULT_GATEWAY_PORT,
  gatewayOptionsFromEnv,
  seededRandom,
  type GatewayEnvOptions,
  type GatewayOptions,
} from './options';

/**
 * Starts the `payment-gateway` role: reads PAYMENT_* from `env`, listens on `host` and
 * PAYMENT_GATEWAY_PORT (default 3100). Throws, naming each bad variable, on a bad setting.
 * The books are kept in `pool`'s database (migrated with `gatewayMigrations`).
 */
export async function startPaymentGateway(deps: {
  pool: Pool;
  env: Record<string, string | undefined>;
  logger: Logger;
  host?: string;
  /** Overrides for tests: a seeded `random`, a fixed `now`. */
  overrides?: Partial<GatewayOptions>;
}): Promise<RunningGateway & { gateway: PaymentGateway }> {
  const settings = gatewayOptionsFromEnv(deps.env);
  if (E.isLeft(settings)) {
    throw new Error(`invalid payment gateway settings: ${settings.left.join('; ')}`);
  }
  const { port, ...behaviour } = settings.right;
  const gateway = createPaymentGateway(deps.pool, {
    ...behaviour,
    logger: deps.logger,
    ...deps.overrides,
  });
  const running = await gateway.listen(port, deps.host ?? '127.0.0.1');
  deps.logger.info({ url: running.url, ...behaviour }, 'payment-gateway: listening');
  return { ...running, gateway };
}
