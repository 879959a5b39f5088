import type { Pool } from 'pg';
import type { CommandMetadata } from '../commands/command-handler';
import type { ConsumerLogger, ReactorConsumer } from '../consumers';
import type { OrderEvent } from '../domain/orders/order.events';
import type { EventStore, RecordedEvent } from '../eventstore';
import type { FulfilmentConfig } from './fulfilment.config';
import {
  causeOf,
  decodeOrderEvent,
  loadOrder,
  orderCommand,
  settleAll,
} from './fulfilment.commands';
import { isoNow } from '../infra/clock';
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
    case 'OrderPlaced': {
      const reserved = await attemptReservation(deps, orderId, 1, cause, recorded.revision);
      // Straight on to payment: the OrderStockReserved delivered later then finds the order
      // paid or processed and has nothing left to do. Only here, in the order's lane: a
      // scheduled retry leaves payment to the delivery, so that two never run at once.
      if (reserved) {
        const { eventId, at, revision } = reserved;
        await payForReserved(deps, orderId, at, { ...cause, causationId: eventId }, revision);
      }
      return;
    }
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
      return payForReserved(deps, orderId, event.data.at, cause, recorded.revision);
    case 'OrderPaymentCaptured':
      // Money taken after the order stopped: give it back.
      if (event.data.closedAs !== undefined) await refundOrder(deps, orderId, cause);
      return;
    case 'OrderProcessed':
      // Processed means captured: the card's token is not kept past its use.
      return closeRetries(deps.pool, orderId, { forgetPaymentToken: true });
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

/**
 * The step after OrderStockReserved: the reservation's expiry is scheduled (durably, beside
 * the payment) and payment taken. An order already paid is taken on to processed (a crash
 * after the capture); one processed or stopped is left alone.
 */
async function payForReserved(
  deps: FulfilmentDeps,
  orderId: string,
  reservedAt: string,
  cause: CommandMetadata,
  seenRevision: bigint,
): Promise<void> {
  const order = await loadOrder(deps.store, orderId, seenRevision);
  if (order.status !== 'stock_reserved' && order.status !== 'paid') return;
  const expiry =
    order.status === 'stock_reserved'
      ? scheduleRetry(deps.pool, {
          kind: 'reservation_expiry',
          orderId,
          attempt: 1,
          dueAt: new Date(new Date(reservedAt).getTime() + deps.config.reservationTtlMs),
        })
      : Promise.resolve();
  await settleAll([expiry, takePayment(deps, orderId, cause, seenRevision)]);
}

/** Runs one due scheduled retry of the fulfilment process. */
export async function runScheduledRetry(
  deps: FulfilmentDeps,
  retry: ScheduledRetry,
): Promise<void> {
  const cause: CommandMetadata = { causationId: `scheduled-retry:${retry.id}` };
  switch (retry.kind) {
    case 'stock_retry':
      await attemptReservation(deps, retry.orderId, retry.attempt, cause);
      return;
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
    { type: 'FailOrder', orderId, reason: 'reservation expired', now: isoNow() },
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
