import type { Pool } from 'pg';
import {
  createConsumerRunner,
  silentLogger,
  type ConsumerLogger,
  type ConsumerRunner,
  type ConsumerRunnerOptions,
} from '../consumers';
import type { EventStore } from '../eventstore';
import { defaultFulfilmentConfig, type FulfilmentConfig } from './fulfilment.config';
import { fulfilmentReactor, runScheduledRetry, type FulfilmentDeps } from './fulfilment';
import { inventoryReactor } from './inventory-reactions';
import type { PaymentClient } from './payment-client';
import { startHousekeeping } from '../infra/housekeeping';
import {
  createRetryPoller,
  DONE_RETRY_RETENTION_HOURS,
  pruneDoneRetries,
  prunePaymentTokens,
  type RetryPoller,
} from './scheduled-retries';

export { processMigrations } from './schema';
export {
  defaultFulfilmentConfig,
  fulfilmentConfigFromEnv,
  type FulfilmentConfig,
} from './fulfilment.config';
export { FULFILMENT_CONSUMER } from './fulfilment';
export { INVENTORY_REACTIONS_CONSUMER } from './inventory-reactions';
export { createPaymentClient, paymentClientOptionsFromEnv } from './payment-client';

/** Runner settings passed through (poll interval, handler retry policy, ...). */
type RunnerSettings = Omit<ConsumerRunnerOptions, 'consumer' | 'store' | 'pool' | 'logger'>;

export interface RunningFulfilment {
  runner: ConsumerRunner;
  poller: RetryPoller;
  stop(): Promise<void>;
}

/**
 * Starts the `fulfilment` role: the saga's reactor (one active instance, advisory-lock
 * leadership) and the scheduled-retry poller (any number, rows claimed with SKIP LOCKED).
 * Needs `processMigrations` applied.
 */
export function startFulfilment(deps: {
  pool: Pool;
  store: EventStore;
  logger?: ConsumerLogger;
  paymentClient: PaymentClient;
  config?: Partial<FulfilmentConfig>;
  runner?: RunnerSettings;
}): RunningFulfilment {
  const logger = deps.logger ?? silentLogger;
  const config = { ...defaultFulfilmentConfig, ...deps.config };
  const saga: FulfilmentDeps = {
    store: deps.store,
    pool: deps.pool,
    logger,
    paymentClient: deps.paymentClient,
    config,
  };
  const runner = createConsumerRunner({
    ...deps.runner,
    consumer: fulfilmentReactor(saga),
    store: deps.store,
    pool: deps.pool,
    logger,
  });
  const poller = createRetryPoller({
    pool: deps.pool,
    logger,
    pollMs: config.retryPollMs,
    run: (retry) => runScheduledRetry(saga, retry),
  });
  runner.start();
  poller.start();
  const retentionHours = config.paymentTokenRetentionHours;
  const tokenPruning = startHousekeeping({
    what: 'payment tokens',
    pass: () => prunePaymentTokens(deps.pool, retentionHours),
    logger,
    details: { retentionHours },
  });
  const retryPruning = startHousekeeping({
    what: 'done scheduled retries',
    pass: () => pruneDoneRetries(deps.pool, DONE_RETRY_RETENTION_HOURS),
    logger,
    details: { retentionHours: DONE_RETRY_RETENTION_HOURS },
  });
  return {
    runner,
    poller,
    stop: async () => {
      await Promise.all([poller.stop(), runner.stop(), tokenPruning.stop(), retryPruning.stop()]);
    },
  };
}

export interface RunningInventoryReactions {
  runner: ConsumerRunner;
  stop(): Promise<void>;
}

/** Starts the `inventory` role: commits or releases reservations as orders end. */
export function startInventoryReactions(deps: {
  pool: Pool;
  store: EventStore;
  logger?: ConsumerLogger;
  runner?: RunnerSettings;
}): RunningInventoryReactions {
  const logger = deps.logger ?? silentLogger;
  const runner = createConsumerRunner({
    ...deps.runner,
    consumer: inventoryReactor({ store: deps.store, logger }),
    store: deps.store,
    pool: deps.pool,
    logger,
  });
  runner.start();
  return { runner, stop: () => runner.stop() };
}
