import * as E from 'fp-ts/Either';
import type { Pool } from 'pg';
import type { EventStore } from './eventstore';
import type { Logger } from './infra/logger';
import { startPaymentGateway } from './payment-gateway';
import {
  createPaymentClient,
  fulfilmentConfigFromEnv,
  paymentClientOptionsFromEnv,
  startFulfilment,
  startInventoryReactions,
} from './processes';
import { startProjections } from './projections';

/** Something started that must be stopped on the way out. */
export interface Part {
  name: string;
  stop(): Promise<void>;
}

export interface ProcessContext {
  env: NodeJS.ProcessEnv;
  host: string;
  logger: Logger;
  pool: Pool;
  store: EventStore;
  parts: Part[];
  notes: string[];
  /** Set when this process runs the mock gateway: where the other roles reach it. */
  paymentGatewayUrl?: string;
}

const valid = <A>(what: string, result: E.Either<string[], A>): A => {
  if (E.isLeft(result)) throw new Error(`invalid ${what} settings: ${result.left.join('; ')}`);
  return result.right;
};

/** The mock payment gateway, on PAYMENT_GATEWAY_PORT (default 3100). */
export async function startGatewayRole(
  ctx: Pick<
    ProcessContext,
    'pool' | 'env' | 'host' | 'logger' | 'parts' | 'notes' | 'paymentGatewayUrl'
  >,
): Promise<void> {
  const { pool, env, logger, host } = ctx;
  const gateway = await startPaymentGateway({ pool, env, logger, host });
  ctx.parts.push({ name: 'payment gateway', stop: () => gateway.close() });
  ctx.paymentGatewayUrl = gateway.url;
  ctx.notes.push(`Payments:  ${gateway.url} (mock gateway; sandbox test cards in the README)`);
}

/** Where to reach the gateway: PAYMENT_GATEWAY_URL, else the one this process runs. */
export function gatewayUrl(
  ctx: Pick<ProcessContext, 'env' | 'paymentGatewayUrl'>,
): string | undefined {
  return ctx.env.PAYMENT_GATEWAY_URL ?? ctx.paymentGatewayUrl;
}

/** Read-model projections (one active instance per projection across processes). */
export function startProjectorRole(ctx: ProcessContext): void {
  const runners = startProjections(ctx.pool, ctx.store, ctx.logger);
  ctx.parts.push({
    name: 'projections',
    stop: async () => void (await Promise.all(runners.map((r) => r.stop()))),
  });
  ctx.logger.info({ projections: runners.map((r) => r.name) }, 'projector: projections started');
}

/** The order saga and its scheduled retries; charges through the gateway. */
export function startFulfilmentRole(ctx: ProcessContext): void {
  const url = gatewayUrl(ctx);
  const options = valid(
    'payment client',
    paymentClientOptionsFromEnv({ ...ctx.env, ...(url && { PAYMENT_GATEWAY_URL: url }) }),
  );
  const config = valid('fulfilment', fulfilmentConfigFromEnv(ctx.env));
  // Aborting on shutdown makes an interrupted charge `unavailable: stopped`, which the saga
  // retries after a restart instead of failing the order.
  const shutdown = new AbortController();
  const paymentClient = createPaymentClient({
    ...options,
    logger: ctx.logger,
    signal: shutdown.signal,
  });
  const fulfilment = startFulfilment({
    pool: ctx.pool,
    store: ctx.store,
    logger: ctx.logger,
    paymentClient,
    config,
  });
  ctx.parts.push({
    name: 'fulfilment',
    stop: async () => {
      shutdown.abort();
      await fulfilment.stop();
    },
  });
  ctx.logger.info({ gateway: options.baseUrl }, 'fulfilment: order saga started');
}

/** Commits stock for processed orders and releases it for failed or cancelled ones. */
export function startInventoryRole(ctx: ProcessContext): void {
  const reactions = startInventoryReactions({
    pool: ctx.pool,
    store: ctx.store,
    logger: ctx.logger,
  });
  ctx.parts.push({ name: 'inventory reactions', stop: () => reactions.stop() });
  ctx.logger.info('inventory: reactions started');
}
