import * as E from 'fp-ts/Either';
import type { Pool } from 'pg';
import type { CommandMetadata } from '../commands/command-handler';
import type { ConsumerLogger } from '../consumers';
import type { StockLine } from '../domain/orders/order.events';
import type { EventStore } from '../eventstore';
import { stockRetryDelay, type FulfilmentConfig } from './fulfilment.config';
import { inventoryCommand, loadOrder, orderCommand, settleAll } from './fulfilment.commands';
import { isoNow } from '../infra/clock';
import { scheduleRetry } from './scheduled-retries';

export interface StockDeps {
  store: EventStore;
  pool: Pool;
  logger: ConsumerLogger;
  config: FulfilmentConfig;
}

type Rejected = { kind: 'rejected'; productId: string; reason: string };
type LineOutcome = { kind: 'reserved' } | Rejected;

/**
 * One attempt at reserving every line of a pending order. All reserved → OrderStockReserved.
 * A line refused → the lines this attempt reserved are released and the failure recorded,
 * with the next attempt's time (scheduled in PostgreSQL) or, after the last, as final (the
 * order fails naming the product). Running an attempt again (redelivery, a second poller) is
 * harmless: its commands have ids derived from the order, the attempt and the product.
 *
 * The order may be cancelled or failed while an attempt runs (a retry runs beside the
 * reactor): whatever the attempt reserved for an order that stopped is released by it.
 *
 * Returns the OrderStockReserved it recorded (the payment step goes on from it), or
 * undefined when there was nothing to do or the attempt failed.
 */
export async function attemptReservation(
  deps: StockDeps,
  orderId: string,
  attempt: number,
  cause: CommandMetadata,
  /** The revision of the event that set this attempt off, if one did. */
  seenRevision?: bigint,
): Promise<Reserved | undefined> {
  const { store } = deps;
  const order = await loadOrder(store, orderId, seenRevision);
  if (!order.exists || order.status !== 'pending' || order.stockAttempts + 1 !== attempt) return;
  const lines: StockLine[] = order.items.map(({ productId, quantity }) => ({
    productId,
    quantity,
  }));
  // The lines are on different products: reserved side by side (one group append).
  const outcomes = await settleAll(
    lines.map((line) => reserveLine(store, orderId, attempt, line, cause)),
  );
  const reserved = lines.filter((_, i) => outcomes[i]!.kind === 'reserved');
  const rejected = outcomes.find((o): o is Rejected => o.kind === 'rejected');
  if (rejected) {
    await releaseLines(store, orderId, reserved, `${orderId}:release:${attempt}`, cause);
    await recordFailure(deps, orderId, attempt, rejected, cause);
    return;
  }
  const marked = await orderCommand(
    store,
    { type: 'MarkStockReserved', orderId, now: isoNow() },
    `${orderId}:stock-reserved`,
    cause,
  );
  if (E.isLeft(marked)) {
    // Stopped meanwhile: the reactor's release may have run before these reservations.
    deps.logger.info(
      { orderId, refusal: marked.left },
      'fulfilment: order stopped while reserving',
    );
    await releaseLines(store, orderId, reserved, `${orderId}:release-stopped:${attempt}`, cause);
    return;
  }
  const event = marked.right.events.find((e) => e.type === 'OrderStockReserved');
  return event && { eventId: event.id, at: event.data.at, revision: event.revision };
}

/** The OrderStockReserved an attempt recorded: what the payment step goes on from. */
export interface Reserved {
  eventId: string;
  at: string;
  revision: bigint;
}

async function reserveLine(
  store: EventStore,
  orderId: string,
  attempt: number,
  { productId, quantity }: StockLine,
  cause: CommandMetadata,
): Promise<LineOutcome> {
  const result = await inventoryCommand(
    store,
    { type: 'ReserveStock', productId, orderId, quantity, now: isoNow() },
    `${orderId}:reserve:${attempt}:${productId}`,
    cause,
  );
  if (E.isLeft(result)) {
    return {
      kind: 'rejected',
      productId,
      reason: `product ${productId} has no stock (${result.left.code})`,
    };
  }
  for (const event of result.right.events) {
    if (event.type === 'StockReservationRejected') {
      const { requested, available } = event.data;
      return {
        kind: 'rejected',
        productId,
        reason: `insufficient stock for product ${productId}: requested ${requested}, available ${available}`,
      };
    }
  }
  return { kind: 'reserved' };
}

async function recordFailure(
  deps: StockDeps,
  orderId: string,
  attempt: number,
  { productId, reason }: { productId: string; reason: string },
  cause: CommandMetadata,
): Promise<void> {
  const final = attempt >= deps.config.stockRetryAttempts;
  const retryAt = final
    ? undefined
    : new Date(Date.now() + stockRetryDelay(deps.config, attempt)).toISOString();
  const result = await orderCommand(
    deps.store,
    {
      type: 'MarkStockReservationFailed',
      orderId,
      now: isoNow(),
      reason,
      productId,
      attempt,
      ...(retryAt !== undefined && { retryAt }),
    },
    `${orderId}:stock-failed:${attempt}`,
    cause,
  );
  if (E.isLeft(result)) {
    deps.logger.info({ orderId, refusal: result.left }, 'fulfilment: order moved on meanwhile');
    return;
  }
  // A redelivery returns the first run's event: schedule what it recorded, not a new time.
  for (const event of result.right.events) {
    if (event.type === 'OrderStockReservationFailed' && event.data.retryAt !== undefined) {
      await scheduleRetry(deps.pool, {
        kind: 'stock_retry',
        orderId,
        attempt: event.data.attempt + 1,
        dueAt: new Date(event.data.retryAt),
      });
    }
  }
}

/**
 * Releases the order's open reservation on each line. Idempotent: a reservation already
 * released, never made or gone is skipped. Returns the lines whose reservation had been
 * committed (units already taken off the shelf), for the caller to return when it must.
 */
export async function releaseLines(
  store: EventStore,
  orderId: string,
  lines: readonly StockLine[],
  commandPrefix: string,
  cause: CommandMetadata,
  reason = 'order not fulfilled',
): Promise<StockLine[]> {
  const committed: StockLine[] = [];
  for (const line of lines) {
    const result = await inventoryCommand(
      store,
      { type: 'ReleaseStock', productId: line.productId, orderId, reason, now: isoNow() },
      `${commandPrefix}:${line.productId}`,
      cause,
    );
    if (E.isLeft(result)) {
      const error = result.left;
      if (error.code === 'RESERVATION_CLOSED' && error.closedAs === 'committed')
        committed.push(line);
      else if (
        error.code !== 'RESERVATION_NOT_FOUND' &&
        error.code !== 'RESERVATION_CLOSED' &&
        error.code !== 'INVENTORY_NOT_FOUND'
      )
        throw new Error(`ReleaseStock refused: ${JSON.stringify(error)}`);
    }
  }
  return committed;
}

/**
 * A cancelled order's stock: open reservations are released; committed units (a processed
 * order) go back on hand with a positive adjustment. Only the fulfilment process returns
 * stock (the inventory reactor only releases), so units are never returned twice; a commit
 * racing the cancellation either comes first (returned here) or finds the reservation
 * released (refused, nothing taken).
 */
export async function releaseOrReturn(
  store: EventStore,
  orderId: string,
  lines: readonly StockLine[],
  commandPrefix: string,
  cause: CommandMetadata,
): Promise<void> {
  const committed = await releaseLines(
    store,
    orderId,
    lines,
    `${commandPrefix}:release`,
    cause,
    'order cancelled',
  );
  for (const { productId, quantity } of committed) {
    const result = await inventoryCommand(
      store,
      {
        type: 'AdjustStock',
        productId,
        adjustment: quantity,
        reason: 'order cancelled',
        now: isoNow(),
      },
      `${commandPrefix}:return:${productId}`,
      cause,
    );
    if (E.isLeft(result))
      throw new Error(`Returning stock refused: ${JSON.stringify(result.left)}`);
  }
}
