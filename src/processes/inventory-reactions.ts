import * as E from 'fp-ts/Either';
import type { ConsumerLogger, ReactorConsumer } from '../consumers';
import type { EventStore, RecordedEvent } from '../eventstore';
import {
  causeOf,
  decodeOrderEvent,
  inventoryCommand,
  loadOrder,
  settleAll,
} from './fulfilment.commands';
import { isoNow } from '../infra/clock';
import { releaseLines } from './fulfilment.stock';

export const INVENTORY_REACTIONS_CONSUMER = 'inventory-reactions';

export interface InventoryReactionsDeps {
  store: EventStore;
  logger: ConsumerLogger;
  /** Order events handled at once, never two of one order (default 64). */
  concurrency?: number;
}

/**
 * Inventory's side of an order's end: OrderProcessed commits each line's reservation
 * (on_hand and reserved drop); OrderFailed and OrderCancelled release whatever is still
 * open. Releasing is idempotent in the inventory decider, so this and the fulfilment
 * process releasing the same reservation is a no-op the second time. Returning committed
 * units of a cancelled processed order is the fulfilment process's alone (never twice).
 */
export function inventoryReactor(deps: InventoryReactionsDeps): ReactorConsumer {
  return {
    kind: 'reactor',
    name: INVENTORY_REACTIONS_CONSUMER,
    filter: {
      streamPrefixes: ['order-'],
      eventTypes: ['OrderProcessed', 'OrderFailed', 'OrderCancelled'],
    },
    concurrency: deps.concurrency ?? 64,
    handle: (event) => handleInventory(deps, event),
  };
}

async function handleInventory(deps: InventoryReactionsDeps, recorded: RecordedEvent) {
  const event = decodeOrderEvent(recorded);
  const cause = causeOf(recorded);
  const { orderId } = event.data;
  switch (event.type) {
    case 'OrderProcessed': {
      const order = await loadOrder(deps.store, orderId, recorded.revision);
      // The lines are on different product streams: committed side by side.
      await settleAll(
        order.items.map(async ({ productId }) => {
          const result = await inventoryCommand(
            deps.store,
            { type: 'CommitStock', productId, orderId, now: isoNow() },
            `${recorded.id}:commit:${productId}`,
            cause,
          );
          // Released already: the order was cancelled before this commit, nothing to take.
          if (E.isLeft(result)) {
            deps.logger.warn(
              { orderId, productId, refusal: result.left },
              'inventory: reservation not committed',
            );
          }
        }),
      );
      return;
    }
    case 'OrderFailed':
    case 'OrderCancelled':
      // The same command id as the fulfilment process's release of this event: one release.
      await releaseLines(
        deps.store,
        orderId,
        event.data.stock,
        `${recorded.id}:release`,
        cause,
        event.type === 'OrderCancelled' ? 'order cancelled' : 'order not fulfilled',
      );
      return;
    default:
      return;
  }
}
