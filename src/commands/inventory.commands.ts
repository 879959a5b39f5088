import * as E from 'fp-ts/Either';
import type { Decider } from '../domain/decider';
import type { ProductError } from '../domain/catalog/product.decider';
import {
  inventoryDecider,
  type InventoryCommand,
  type InventoryError,
  type InventoryState,
} from '../domain/inventory/inventory.decider';
import { inventoryStream, type InventoryEvent } from '../domain/inventory/inventory.events';
import type { EventStore } from '../eventstore';
import { loadProduct } from './catalog.products';
import { handleCommand, type CommandMetadata } from './command-handler';

export interface InventoryDeps {
  store: EventStore;
  /** Reorder threshold of an inventory created by a restock (see `restock`). */
  lowStockThreshold: number;
}

export type StockError = InventoryError | ProductError;

export interface StockWrite {
  productId: string;
  /** Global position of the append (or of the stream's end when nothing changed). */
  position: bigint;
  /** The event types appended, e.g. to tell whether LowStock was raised. */
  eventTypes: readonly InventoryEvent['type'][];
}

export interface InventorySettings {
  reorderThreshold?: number;
  adjustment?: { quantity: number; reason: string };
}

/**
 * Receives stock for a live product. Creating a product creates its inventory; should that
 * have been cut short by a crash, the first restock creates it (with the default threshold).
 */
export async function restock(
  deps: InventoryDeps,
  productId: string,
  quantity: number,
  metadata: CommandMetadata = {},
): Promise<E.Either<StockError, StockWrite>> {
  const product = await loadProduct(deps.store, productId);
  if (product.status !== 'live') return E.left({ code: 'PRODUCT_NOT_FOUND', productId });
  const now = new Date().toISOString();
  return written(
    productId,
    await handleCommand(deps.store, inventoryDecider, {
      streamName: inventoryStream(productId),
      command: {
        type: 'ReceiveStock',
        productId,
        sku: product.sku,
        quantity,
        reorderThreshold: deps.lowStockThreshold,
        now,
      },
      metadata,
    }),
  );
}

/**
 * `PUT /inventory/{id}`: a new reorder threshold and/or an adjustment with its reason, decided
 * together and appended at once, so either both happen or neither (a refused adjustment
 * leaves the threshold as it was). The threshold goes first: the adjustment's LowStock is
 * judged against the new one.
 */
export async function updateInventory(
  deps: InventoryDeps,
  productId: string,
  settings: InventorySettings,
  metadata: CommandMetadata = {},
): Promise<E.Either<StockError, StockWrite>> {
  const product = await loadProduct(deps.store, productId);
  if (product.status !== 'live') return E.left({ code: 'PRODUCT_NOT_FOUND', productId });
  const now = new Date().toISOString();
  const commands: InventoryCommand[] = [];
  if (settings.reorderThreshold !== undefined) {
    commands.push({
      type: 'ChangeReorderThreshold',
      productId,
      threshold: settings.reorderThreshold,
      now,
    });
  }
  if (settings.adjustment !== undefined) {
    const { quantity, reason } = settings.adjustment;
    commands.push({ type: 'AdjustStock', productId, adjustment: quantity, reason, now });
  }
  return written(
    productId,
    await handleCommand(deps.store, allOrNothing(inventoryDecider), {
      streamName: inventoryStream(productId),
      command: commands,
      metadata,
    }),
  );
}

function written(
  productId: string,
  result: E.Either<InventoryError, { position: bigint; events: readonly InventoryEvent[] }>,
): E.Either<StockError, StockWrite> {
  return E.map(({ position, events }: { position: bigint; events: readonly InventoryEvent[] }) => ({
    productId,
    position,
    eventTypes: events.map((e) => e.type),
  }))(result);
}

/**
 * Several commands on one existing inventory as one decision: each is decided on the state
 * the previous one's events leave, and the first refusal refuses them all. (A threshold
 * alone must not bring an inventory into being: only receiving stock does.)
 */
export function allOrNothing(
  decider: Decider<InventoryCommand, InventoryEvent, InventoryState, InventoryError>,
): Decider<readonly InventoryCommand[], InventoryEvent, InventoryState, InventoryError> {
  return {
    ...decider,
    decide(commands, state) {
      if (!state.exists) return E.left({ code: 'INVENTORY_NOT_FOUND' });
      let current = state;
      const events: InventoryEvent[] = [];
      for (const command of commands) {
        const decided = decider.decide(command, current);
        if (E.isLeft(decided)) return decided;
        events.push(...decided.right);
        current = decided.right.reduce((s, e) => decider.evolve(s, e), current);
      }
      return E.right(events);
    },
  };
}
