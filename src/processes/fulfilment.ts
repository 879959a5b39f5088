import type { Pool } from 'pg';
import type { CommandMetadata } from '../commands/command-handler';
import type { ConsumerLogger, ReactorConsumer } from '../consumers';
import type { OrderEvent } from '../domain/orders/order.events';
import type { EventStore, RecordedEvent } from '../eventstore';
import type { FulfilmentConfig } from './fulfilment.config';
import { causeOf, decodeOrderEvent, loadOrder, nowIso, orderCommand } from './fulfilment.commands';
import { checkPayment, refundOrder, takePayment } from './fulfilment.payment';
import { attemptReservation, releaseLines, releaseOrReturn } from './fulfilment.stock';
import type { PaymentClient } from './payment-client';
import { closeRetries, scheduleRetry, type ScheduledRetry } from './scheduled-retries';

export const FULFILMENT_CONSUMER = 'fulfilment';

export interface FulfilmentDeps {
  store: EventStore;
  pool: Pool;
  logger: ConsumerLogger;
  paymentClient: PaymentClient;
  config: FulfilmentConfig;
}

const handled: OrderEvent['type'][] = [
  'OrderPlaced',
  'OrderStockReservationFailed',
  'OrderStockReserved',
  'OrderPaymentCaptured',
  'OrderProcessed',
  'OrderCancelled',
  'OrderFailed',
];

/**
 * The order process manager (saga), as a reactor on the order streams: placed → reserve
 * stock; reserved → take payment; a reservation failure → schedule the next attempt;
 * cancelled → release or return stock and refund; failed → release stock. Every step is
 * idempotent, so the at-least-once delivery of the runner is safe.
 */
export function fulfilmentReactor(deps: FulfilmentDeps): ReactorConsumer {
  return {
    kind: 'reactor',
    name: FULFILMENT_CONSUMER,
    filter: { streamPrefixes: ['order-'], eventTypes: handled },
    concurrency: deps.config.concurrency,
    handle: (event) => handleFulfilment(deps, event),
  };
}

async function handleFulfilment(deps: FulfilmentDeps, recorded: RecordedEvent): Promise<void> {
  const event = decodeOrderEvent(recorded);
  const cause = causeOf(recorded);
  const { orderId } = event.data;
  switch (event.type) {
    case 'OrderPlaced':
      return attemptReservation(deps, orderId, 1, cause, recorded.revision);
    case 'OrderStockReservationFailed':
      // Also scheduled right after the append; this covers a crash between the two.
      if (event.data.retryAt === undefined) return closeRetries(deps.pool, orderId);
      return scheduleRetry(deps.pool, {
        kind: 'stock_retry',
        orderId,
        attempt: event.data.attempt + 1,
        dueAt: new Date(event.data.retryAt),
      });
    case 'OrderStockReserved':
      await scheduleRetry(deps.pool, {
        kind: 'reservation_expiry',
        orderId,
        attempt: 1,
        dueAt: new Date(new Date(event.data.at).getTime() + deps.config.reservationTtlMs),
      });
      return takePayment(deps, orderId, cause, recorded.revision);
    case 'OrderPaymentCaptured':
      // Money taken after the order stopped: give it back.
      if (event.data.closedAs !== undefined) await refundOrder(deps, orderId, cause);
      return;
    case 'OrderProcessed':
      return closeRetries(deps.pool, orderId);
    case 'OrderCancelled':
      await closeRetries(deps.pool, orderId);
      await releaseOrReturn(deps.store, orderId, event.data.stock, recorded.id, cause);
      if (event.data.refundDue) await refundOrder(deps, orderId, cause);
      return;
    case 'OrderFailed':
      await closeRetries(deps.pool, orderId);
      await releaseLines(deps.store, orderId, event.data.stock, `${recorded.id}:release`, cause);
      return;
    default:
      return;
  }
}

/** Runs one due scheduled retry of the fulfilment process. */
export async function runScheduledRetry(
  deps: FulfilmentDeps,
  retry: ScheduledRetry,
): Promise<void> {
  const cause: CommandMetadata = { causationId: `scheduled-retry:${retry.id}` };
  switch (retry.kind) {
    case 'stock_retry':
      return attemptReservation(deps, retry.orderId, retry.attempt, cause);
    case 'reservation_expiry':
      return expireReservation(deps, retry.orderId, cause);
    case 'payment_check':
      return checkPayment(deps, retry.orderId, retry.attempt, cause);
  }
}

/**
 * A reservation held past its time without payment: the order fails ('reservation
 * expired') and its stock is released. An order paid, processed or stopped by then is left
 * alone; a capture landing after the failure is recorded and refunded by the reactor.
 */
async function expireReservation(
  deps: FulfilmentDeps,
  orderId: string,
  cause: CommandMetadata,
): Promise<void> {
  const order = await loadOrder(deps.store, orderId);
  if (order.status !== 'stock_reserved') return;
  const failed = await orderCommand(
    deps.store,
    { type: 'FailOrder', orderId, reason: 'reservation expired', now: nowIso() },
    `${orderId}:reservation-expired`,
    cause,
  );
  if (failed._tag === 'Left') {
    deps.logger.info({ orderId, refusal: failed.left }, 'fulfilment: expiry found order moved on');
    return;
  }
  const lines = order.items.map(({ productId, quantity }) => ({ productId, quantity }));
  await releaseLines(deps.store, orderId, lines, `${orderId}:release-expired`, cause);
}
