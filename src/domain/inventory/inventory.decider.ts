import * as E from 'fp-ts/Either';
import { Map as ImmutableMap } from 'immutable';
import { assertNever, type Decider } from '../decider';
import { ClosedReservations, type ClosedAs } from './closed-reservations';
import type { InventoryEvent } from './inventory.events';

/**
 * One product's stock: `available = onHand - reserved` never goes below zero, whatever
 * the order of commands, because every reservation is decided on the stream's current
 * state and appended with its expected revision.
 */
export type InventoryCommand =
  | {
      type: 'ReceiveStock';
      productId: string;
      sku: string;
      quantity: number;
      reorderThreshold: number;
      now: string;
    }
  | { type: 'AdjustStock'; productId: string; adjustment: number; reason: string; now: string }
  | { type: 'ChangeReorderThreshold'; productId: string; threshold: number; now: string }
  | { type: 'ReserveStock'; productId: string; orderId: string; quantity: number; now: string }
  | { type: 'ReleaseStock'; productId: string; orderId: string; reason: string; now: string }
  | { type: 'CommitStock'; productId: string; orderId: string; now: string };

export type InventoryError =
  | { code: 'INVENTORY_NOT_FOUND' }
  | { code: 'INVALID_QUANTITY'; field: string }
  | { code: 'INSUFFICIENT_STOCK'; available: number; requested: number }
  | { code: 'RESERVATION_NOT_FOUND'; orderId: string }
  | { code: 'RESERVATION_CLOSED'; orderId: string; closedAs: 'released' | 'committed' };

/** An order's reservation on this product: open with its quantity, or how it closed. */
export type Reservation = { status: 'open'; quantity: number } | { status: ClosedAs };

export interface InventoryState {
  exists: boolean;
  productId: string;
  sku: string;
  onHand: number;
  reserved: number;
  reorderThreshold: number;
  /** Armed: the next fall below the threshold raises LowStock. */
  lowStockArmed: boolean;
  /**
   * The open reservations' quantities by order id. A persistent map: `evolve` adds or
   * removes one entry in O(log n) and shares the rest with the previous state, so folding a
   * stream of n events costs O(n log n) (copying a plain record per event made it quadratic).
   */
  open: ImmutableMap<string, number>;
  /** How every closed reservation ended, by order id (an order reserved again is open). */
  closed: ClosedReservations;
}

/** The order's reservation on this product, if it ever had one. */
export function reservationOf(s: InventoryState, orderId: string): Reservation | undefined {
  const quantity = s.open.get(orderId);
  if (quantity !== undefined) return { status: 'open', quantity };
  const closedAs = s.closed.get(orderId);
  return closedAs === undefined ? undefined : { status: closedAs };
}

export const initialInventoryState: InventoryState = {
  exists: false,
  productId: '',
  sku: '',
  onHand: 0,
  reserved: 0,
  reorderThreshold: 0,
  lowStockArmed: true,
  open: ImmutableMap(),
  closed: ClosedReservations.empty,
};

export const available = (s: Pick<InventoryState, 'onHand' | 'reserved'>): number =>
  s.onHand - s.reserved;

const isCount = (n: number, min: number) => Number.isSafeInteger(n) && n >= min;

export function decideInventory(
  cmd: InventoryCommand,
  s: InventoryState,
): E.Either<InventoryError, readonly InventoryEvent[]> {
  return E.map((events: readonly InventoryEvent[]) => withLowStock(s, events, cmd))(
    decideCore(cmd, s),
  );
}

function decideCore(
  cmd: InventoryCommand,
  s: InventoryState,
): E.Either<InventoryError, readonly InventoryEvent[]> {
  const base = { productId: cmd.productId, at: cmd.now };
  if (cmd.type !== 'ReceiveStock' && cmd.type !== 'ChangeReorderThreshold' && !s.exists) {
    return E.left({ code: 'INVENTORY_NOT_FOUND' });
  }
  switch (cmd.type) {
    case 'ReceiveStock': {
      if (!isCount(cmd.quantity, s.exists ? 1 : 0)) return invalid('quantity');
      if (!s.exists && !isCount(cmd.reorderThreshold, 0)) return invalid('reorder_threshold');
      const received: InventoryEvent = {
        type: 'StockReceived',
        data: { ...base, sku: s.exists ? s.sku : cmd.sku, quantity: cmd.quantity },
      };
      if (s.exists) return E.right([received]);
      // The first receipt creates the inventory, threshold first so LowStock can be judged.
      return E.right([
        { type: 'ReorderThresholdChanged', data: { ...base, threshold: cmd.reorderThreshold } },
        received,
      ]);
    }
    case 'AdjustStock': {
      if (!Number.isSafeInteger(cmd.adjustment) || cmd.adjustment === 0)
        return invalid('adjustment');
      if (available(s) + cmd.adjustment < 0) {
        return E.left({
          code: 'INSUFFICIENT_STOCK',
          available: available(s),
          requested: -cmd.adjustment,
        });
      }
      return E.right([
        {
          type: 'StockAdjusted',
          data: { ...base, adjustment: cmd.adjustment, reason: cmd.reason },
        },
      ]);
    }
    case 'ChangeReorderThreshold':
      if (!isCount(cmd.threshold, 0)) return invalid('reorder_threshold');
      if (s.exists && s.reorderThreshold === cmd.threshold) return E.right([]);
      return E.right([
        { type: 'ReorderThresholdChanged', data: { ...base, threshold: cmd.threshold } },
      ]);
    case 'ReserveStock': {
      if (!isCount(cmd.quantity, 1)) return invalid('quantity');
      const existing = reservationOf(s, cmd.orderId);
      if (existing && existing.status !== 'released') return E.right([]); // repeat: no-op
      if (available(s) < cmd.quantity) {
        return E.right([
          {
            type: 'StockReservationRejected',
            data: {
              ...base,
              orderId: cmd.orderId,
              requested: cmd.quantity,
              available: available(s),
            },
          },
        ]);
      }
      return E.right([
        { type: 'StockReserved', data: { ...base, orderId: cmd.orderId, quantity: cmd.quantity } },
      ]);
    }
    case 'ReleaseStock':
    case 'CommitStock': {
      const r = reservationOf(s, cmd.orderId);
      if (!r) return E.left({ code: 'RESERVATION_NOT_FOUND', orderId: cmd.orderId });
      const target = cmd.type === 'ReleaseStock' ? 'released' : 'committed';
      if (r.status === target) return E.right([]); // repeat: no-op
      if (r.status !== 'open') {
        return E.left({ code: 'RESERVATION_CLOSED', orderId: cmd.orderId, closedAs: r.status });
      }
      const data = { ...base, orderId: cmd.orderId, quantity: r.quantity };
      return E.right([
        cmd.type === 'ReleaseStock'
          ? { type: 'StockReleased', data: { ...data, reason: cmd.reason } }
          : { type: 'StockCommitted', data },
      ]);
    }
    default:
      return assertNever(cmd);
  }
}

/** LowStock once when `available` falls below the threshold; re-armed in `evolve`. */
function withLowStock(
  s: InventoryState,
  events: readonly InventoryEvent[],
  cmd: InventoryCommand,
): readonly InventoryEvent[] {
  if (events.length === 0) return events;
  // Only the counts decide LowStock: the reservation maps are left out of this fold.
  const after = events.reduce(evolveCounts, countsOf(s));
  if (!after.lowStockArmed || available(after) >= after.reorderThreshold) return events;
  return [
    ...events,
    {
      type: 'LowStock',
      data: {
        productId: cmd.productId,
        at: cmd.now,
        available: available(after),
        threshold: after.reorderThreshold,
      },
    },
  ];
}

export function evolveInventory(s: InventoryState, e: InventoryEvent): InventoryState {
  const state = s.exists ? s : { ...s, exists: true, productId: e.data.productId };
  const counts = evolveCounts(state, e);
  const close = (orderId: string, closedAs: ClosedAs) => ({
    open: state.open.delete(orderId),
    closed: state.closed.set(orderId, closedAs),
  });
  switch (e.type) {
    case 'StockReceived':
      return { ...state, ...counts, sku: e.data.sku };
    case 'StockReserved':
      return { ...state, ...counts, open: state.open.set(e.data.orderId, e.data.quantity) };
    case 'StockReleased':
      return { ...state, ...counts, ...close(e.data.orderId, 'released') };
    case 'StockCommitted':
      return { ...state, ...counts, ...close(e.data.orderId, 'committed') };
    default:
      return { ...state, ...counts };
  }
}

/** The part of the state that says how much stock there is, and whether LowStock is armed. */
type StockCounts = Pick<
  InventoryState,
  'onHand' | 'reserved' | 'reorderThreshold' | 'lowStockArmed'
>;

const countsOf = (s: StockCounts): StockCounts => ({
  onHand: s.onHand,
  reserved: s.reserved,
  reorderThreshold: s.reorderThreshold,
  lowStockArmed: s.lowStockArmed,
});

/** The counts after one event: `evolveInventory` without the reservation maps. */
function evolveCounts(c: StockCounts, e: InventoryEvent): StockCounts {
  const next = applyToCounts(c, e);
  if (e.type === 'LowStock') return next;
  return available(next) >= next.reorderThreshold ? { ...next, lowStockArmed: true } : next;
}

function applyToCounts(c: StockCounts, e: InventoryEvent): StockCounts {
  const { onHand, reserved, reorderThreshold, lowStockArmed } = c;
  switch (e.type) {
    case 'StockReceived':
      return { onHand: onHand + e.data.quantity, reserved, reorderThreshold, lowStockArmed };
    case 'StockAdjusted':
      return { onHand: onHand + e.data.adjustment, reserved, reorderThreshold, lowStockArmed };
    case 'ReorderThresholdChanged':
      return { onHand, reserved, reorderThreshold: e.data.threshold, lowStockArmed };
    case 'StockReserved':
      return { onHand, reserved: reserved + e.data.quantity, reorderThreshold, lowStockArmed };
    case 'StockReleased':
      return { onHand, reserved: reserved - e.data.quantity, reorderThreshold, lowStockArmed };
    case 'StockCommitted': {
      const quantity = e.data.quantity;
      return {
        onHand: onHand - quantity,
        reserved: reserved - quantity,
        reorderThreshold,
        lowStockArmed,
      };
    }
    case 'LowStock':
      return { onHand, reserved, reorderThreshold, lowStockArmed: false };
    case 'StockReservationRejected':
      return countsOf(c);
    default:
      return assertNever(e);
  }
}

const invalid = (field: string): E.Either<InventoryError, never> =>
  E.left({ code: 'INVALID_QUANTITY', field });

export const inventoryDecider: Decider<
  InventoryCommand,
  InventoryEvent,
  InventoryState,
  InventoryError
> = {
  decide: decideInventory,
  evolve: evolveInventory,
  initialState: initialInventoryState,
};
