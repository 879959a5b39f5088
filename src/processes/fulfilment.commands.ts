import * as E from 'fp-ts/Either';
import {
  handleCommand,
  loadState,
  type CommandMetadata,
  type CommandResult,
} from '../commands/command-handler';
import type { DomainEvent } from '../domain/decider';
import {
  inventoryDecider,
  type InventoryCommand,
  type InventoryError,
} from '../domain/inventory/inventory.decider';
import { inventoryStream, type InventoryEvent } from '../domain/inventory/inventory.events';
import {
  orderDecider,
  type OrderCommand,
  type OrderError,
  type OrderState,
} from '../domain/orders/order.decider';
import { OrderEvent, orderStream } from '../domain/orders/order.events';
import {
  paymentDecider,
  type PaymentCommand,
  type PaymentError,
} from '../domain/payments/payment.decider';
import { paymentStream, type PaymentEvent } from '../domain/payments/payment.events';
import { inventoryStateCache, orderStateCache } from '../commands/stream-caches';
import type { EventStore, RecordedEvent } from '../eventstore';

/**
 * The process managers' way of running commands: every command has a deterministic id, so
 * a redelivered event (at-least-once) re-runs its steps without writing anything twice.
 */
type Result<Err, Ev extends DomainEvent> = Promise<E.Either<Err, CommandResult<Ev>>>;

/** What an event set off: the same correlation, the event as cause. */
export function causeOf(event: RecordedEvent): CommandMetadata {
  const correlationId = event.metadata.correlationId;
  return {
    ...(typeof correlationId === 'string' && { correlationId }),
    causationId: event.id,
  };
}

/**
 * Waits for every step, then fails with the first failure, if any. Unlike `Promise.all`, a
 * failed step never leaves its siblings running on after the handler has given up (and the
 * runner has begun to retry the event).
 */
export async function settleAll<T extends readonly unknown[] | []>(
  steps: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled<readonly unknown[]>(steps);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

export function orderCommand(
  store: EventStore,
  command: OrderCommand,
  commandId: string,
  metadata: CommandMetadata,
): Result<OrderError, OrderEvent> {
  return handleCommand(store, orderDecider, {
    streamName: orderStream(command.orderId),
    command,
    commandId,
    metadata,
    cache: orderStateCache(store),
    decodeEvent: decodeOrderEvent,
  });
}

export function inventoryCommand(
  store: EventStore,
  command: InventoryCommand,
  commandId: string,
  metadata: CommandMetadata,
): Result<InventoryError, InventoryEvent> {
  return handleCommand(store, inventoryDecider, {
    streamName: inventoryStream(command.productId),
    command,
    commandId,
    metadata,
    cache: inventoryStateCache(store),
  });
}

/** `fresh`: the payment stream is not expected to exist yet (see `handleCommand`). */
export function paymentCommand(
  store: EventStore,
  command: PaymentCommand,
  commandId: string,
  metadata: CommandMetadata,
  fresh = false,
): Result<PaymentError, PaymentEvent> {
  return handleCommand(store, paymentDecider, {
    streamName: paymentStream(command.orderId),
    command,
    commandId,
    metadata,
    cache: orderStateCache(store),
    fresh,
  });
}

/** Decodes a stored order event with its codec; a malformed one is a fault, not a value. */
export function decodeOrderEvent(event: RecordedEvent): OrderEvent {
  const decoded = OrderEvent.decode({ type: event.type, data: event.data });
  if (E.isLeft(decoded)) throw new Error(`Malformed ${event.type} event ${event.id}`);
  return decoded.right;
}

/**
 * The order's current state: the cached fold and the tail written since. `atLeast`: the
 * revision of the event being handled; a cached fold that far along is taken as it is.
 */
export function loadOrder(
  store: EventStore,
  orderId: string,
  atLeast?: bigint,
): Promise<OrderState> {
  return loadState(store, orderDecider, orderStream(orderId), orderStateCache(store), {
    decode: decodeOrderEvent,
    ...(atLeast !== undefined && { atLeast }),
  });
}

/** The value of a command expected to succeed; a refusal here is a bug or bad data: throw. */
export function expectRight<Err extends { code: string }, A>(
  what: string,
  result: E.Either<Err, A>,
): A {
  if (E.isLeft(result)) throw new Error(`${what} refused: ${JSON.stringify(result.left)}`);
  return result.right;
}
