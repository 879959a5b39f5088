import * as E from 'fp-ts/Either';
import fc from 'fast-check';
import {
  available,
  inventoryDecider,
  reservationOf,
  type InventoryCommand,
} from '../../src/domain/inventory/inventory.decider';
import { GENERATION } from '../../src/domain/inventory/closed-reservations';
import type { InventoryEvent } from '../../src/domain/inventory/inventory.events';
import { fold } from '../../src/domain/decider';
import { spec } from '../support/decider-spec';

const productId = 'p-1';
const now = '2026-11-21T10:00:00.000Z';
const base = { productId, at: now };
const inventory = spec(inventoryDecider);

const thresholdSet = (threshold: number): InventoryEvent => ({
  type: 'ReorderThresholdChanged',
  data: { ...base, threshold },
});
const received = (quantity: number): InventoryEvent => ({
  type: 'StockReceived',
  data: { ...base, sku: 'SKU-1', quantity },
});
const reserved = (orderId: string, quantity: number): InventoryEvent => ({
  type: 'StockReserved',
  data: { ...base, orderId, quantity },
});
const lowStock = (avail: number, threshold: number): InventoryEvent => ({
  type: 'LowStock',
  data: { ...base, available: avail, threshold },
});
const stocked = [thresholdSet(10), received(50)];

const reserve = (orderId: string, quantity: number): InventoryCommand => ({
  type: 'ReserveStock',
  productId,
  orderId,
  quantity,
  now,
});

describe('inventory decider', () => {
  it('creates the inventory on first receipt, threshold first', () => {
    inventory
      .when({
        type: 'ReceiveStock',
        productId,
        sku: 'SKU-1',
        quantity: 50,
        reorderThreshold: 10,
        now,
      })
      .then(stocked);
  });

  it('raises LowStock at creation when the first receipt is under the threshold', () => {
    inventory
      .when({
        type: 'ReceiveStock',
        productId,
        sku: 'SKU-1',
        quantity: 4,
        reorderThreshold: 10,
        now,
      })
      .then([thresholdSet(10), received(4), lowStock(4, 10)]);
  });

  it('restocks an existing inventory', () => {
    inventory
      .given(stocked)
      .when({
        type: 'ReceiveStock',
        productId,
        sku: 'ignored',
        quantity: 5,
        reorderThreshold: 99,
        now,
      })
      .then([received(5)]);
  });

  it('refuses a non-positive restock and a negative threshold', () => {
    inventory
      .given(stocked)
      .when({
        type: 'ReceiveStock',
        productId,
        sku: 'SKU-1',
        quantity: 0,
        reorderThreshold: 1,
        now,
      })
      .thenFails('INVALID_QUANTITY', { field: 'quantity' });
    inventory
      .given(stocked)
      .when({ type: 'ChangeReorderThreshold', productId, threshold: -1, now })
      .thenFails('INVALID_QUANTITY', { field: 'reorder_threshold' });
  });

  it('reserves within available stock', () => {
    inventory
      .given(stocked)
      .when(reserve('o-1', 30))
      .then([reserved('o-1', 30)]);
  });

  it('never reserves beyond available: the refusal is an event the saga reacts to', () => {
    inventory
      .given([...stocked, reserved('o-1', 45), lowStock(5, 10)])
      .when(reserve('o-2', 6))
      .then([
        {
          type: 'StockReservationRejected',
          data: { ...base, orderId: 'o-2', requested: 6, available: 5 },
        },
      ]);
  });

  it('treats reserving twice for the same order as a no-op', () => {
    inventory
      .given([...stocked, reserved('o-1', 3)])
      .when(reserve('o-1', 3))
      .then([]);
  });

  it('raises LowStock once when available crosses below the threshold', () => {
    inventory
      .given(stocked)
      .when(reserve('o-1', 41))
      .then([reserved('o-1', 41), lowStock(9, 10)]);
    inventory
      .given([...stocked, reserved('o-1', 41), lowStock(9, 10)])
      .when(reserve('o-2', 1))
      .then([reserved('o-2', 1)]);
  });

  it('re-arms LowStock when stock rises to the threshold again', () => {
    const history = [...stocked, reserved('o-1', 41), lowStock(9, 10), received(1)];
    inventory
      .given(history)
      .when(reserve('o-2', 1))
      .then([reserved('o-2', 1), lowStock(9, 10)]);
  });

  it('releases and commits open reservations, once', () => {
    const withReservation = [...stocked, reserved('o-1', 3)];
    const released: InventoryEvent = {
      type: 'StockReleased',
      data: { ...base, orderId: 'o-1', quantity: 3, reason: 'cancelled' },
    };
    const committed: InventoryEvent = {
      type: 'StockCommitted',
      data: { ...base, orderId: 'o-1', quantity: 3 },
    };
    const release: InventoryCommand = {
      type: 'ReleaseStock',
      productId,
      orderId: 'o-1',
      reason: 'cancelled',
      now,
    };
    const commit: InventoryCommand = { type: 'CommitStock', productId, orderId: 'o-1', now };
    inventory.given(withReservation).when(release).then([released]);
    inventory.given(withReservation).when(commit).then([committed]);
    inventory
      .given([...withReservation, released])
      .when(release)
      .then([]);
    inventory
      .given([...withReservation, committed])
      .when(commit)
      .then([]);
    inventory
      .given([...withReservation, committed])
      .when(release)
      .thenFails('RESERVATION_CLOSED', { closedAs: 'committed' });
  });

  it('takes committed units off hand: what is left is all a later order may reserve', () => {
    const committed: InventoryEvent = {
      type: 'StockCommitted',
      data: { ...base, orderId: 'o-1', quantity: 45 },
    };
    const history = [...stocked, reserved('o-1', 45), lowStock(5, 10), committed];
    inventory
      .given(history)
      .when(reserve('o-2', 6))
      .then([
        {
          type: 'StockReservationRejected',
          data: { ...base, orderId: 'o-2', requested: 6, available: 5 },
        },
      ]);
    // Still under the threshold after the commit: no second LowStock.
    inventory
      .given(history)
      .when(reserve('o-2', 5))
      .then([reserved('o-2', 5)]);
  });

  it('allows a new reservation for an order whose earlier one was released (saga retry)', () => {
    const released: InventoryEvent = {
      type: 'StockReleased',
      data: { ...base, orderId: 'o-1', quantity: 3, reason: 'retry' },
    };
    inventory
      .given([...stocked, reserved('o-1', 3), released])
      .when(reserve('o-1', 3))
      .then([reserved('o-1', 3)]);
  });

  it('refuses to release or commit an unknown reservation', () => {
    inventory
      .given(stocked)
      .when({ type: 'CommitStock', productId, orderId: 'nope', now })
      .thenFails('RESERVATION_NOT_FOUND', { orderId: 'nope' });
  });

  it('refuses commands on an inventory that does not exist', () => {
    inventory.when(reserve('o-1', 1)).thenFails('INVENTORY_NOT_FOUND');
  });

  it('refuses an adjustment that would take available below zero', () => {
    inventory
      .given([...stocked, reserved('o-1', 45)])
      .when({ type: 'AdjustStock', productId, adjustment: -6, reason: 'damaged', now })
      .thenFails('INSUFFICIENT_STOCK', { available: 5, requested: 6 });
  });

  it('leaves the state it evolves from untouched', () => {
    const before = fold(inventoryDecider, [...stocked, reserved('o-1', 3)]);
    const after = inventoryDecider.evolve(before, {
      type: 'StockCommitted',
      data: { ...base, orderId: 'o-1', quantity: 3 },
    });
    const added = inventoryDecider.evolve(before, reserved('o-2', 4));
    expect(reservationOf(before, 'o-1')).toEqual({ status: 'open', quantity: 3 });
    expect(reservationOf(before, 'o-2')).toBeUndefined();
    expect(before).toMatchObject({ onHand: 50, reserved: 3 });
    expect(reservationOf(after, 'o-1')).toEqual({ status: 'committed' });
    expect(reservationOf(added, 'o-2')).toEqual({ status: 'open', quantity: 4 });
    expect(inventoryDecider.initialState.open.size).toBe(0);
    expect(inventoryDecider.initialState.closed.get('o-1')).toBeUndefined();
  });

  it('folds and decides on a long stream of reservations (a hot product)', () => {
    // Two events per order line, as the saga writes them: a reservation, then its commit or
    // release; every third stays open. 12,000 orders make 20,000 events.
    const orders = 12_000;
    const quantity = (i: number) => 1 + (i % 5);
    const history: InventoryEvent[] = [...stocked, received(100_000)];
    let committed = 0;
    let open = 0;
    for (let i = 0; i < orders; i++) {
      const orderId = `o-${i}`;
      history.push(reserved(orderId, quantity(i)));
      if (i % 3 === 0) {
        history.push({ type: 'StockCommitted', data: { ...base, orderId, quantity: quantity(i) } });
        committed += quantity(i);
      } else if (i % 3 === 1) {
        history.push({
          type: 'StockReleased',
          data: { ...base, orderId, quantity: quantity(i), reason: 'cancelled' },
        });
      } else {
        open += quantity(i);
      }
    }
    expect(history.length).toBe(2 + 1 + 20_000);

    const s = fold(inventoryDecider, history);
    expect(s).toMatchObject({ exists: true, onHand: 100_050 - committed, reserved: open });
    expect(s.open.size).toBe(orders / 3);
    expect(s.closed.generations).toBeLessThanOrEqual(Math.log2((orders * 2) / 3 / GENERATION) + 1);
    expect(reservationOf(s, 'o-0')).toEqual({ status: 'committed' });
    expect(reservationOf(s, 'o-1')).toEqual({ status: 'released' });
    expect(reservationOf(s, 'o-2')).toEqual({ status: 'open', quantity: 3 });
    expect(reservationOf(s, 'o-11999')).toEqual({ status: 'open', quantity: 5 });
    expect(reservationOf(s, 'o-12000')).toBeUndefined();

    // Decisions on the long stream read the right reservation.
    inventory
      .given(history)
      .when({ type: 'CommitStock', productId, orderId: 'o-11999', now })
      .then([{ type: 'StockCommitted', data: { ...base, orderId: 'o-11999', quantity: 5 } }]);
    inventory
      .given(history)
      .when({ type: 'ReleaseStock', productId, orderId: 'o-6000', reason: 'late', now })
      .thenFails('RESERVATION_CLOSED', { orderId: 'o-6000', closedAs: 'committed' });
    inventory.given(history).when(reserve('o-2', 3)).then([]);
    inventory
      .given(history)
      .when(reserve('o-1', 2))
      .then([reserved('o-1', 2)]);
  });

  it('keeps its invariants for any sequence of commands (property)', () => {
    const orderId = fc.constantFrom('o-1', 'o-2', 'o-3', 'o-4');
    const command: fc.Arbitrary<InventoryCommand> = fc.oneof(
      fc.record({
        type: fc.constant('ReceiveStock' as const),
        productId: fc.constant(productId),
        sku: fc.constant('S'),
        quantity: fc.integer({ min: -2, max: 30 }),
        reorderThreshold: fc.integer({ min: -1, max: 20 }),
        now: fc.constant(now),
      }),
      fc.record({
        type: fc.constant('AdjustStock' as const),
        productId: fc.constant(productId),
        adjustment: fc.integer({ min: -30, max: 30 }),
        reason: fc.constant('count'),
        now: fc.constant(now),
      }),
      fc.record({
        type: fc.constant('ChangeReorderThreshold' as const),
        productId: fc.constant(productId),
        threshold: fc.integer({ min: -1, max: 20 }),
        now: fc.constant(now),
      }),
      fc.record({
        type: fc.constant('ReserveStock' as const),
        productId: fc.constant(productId),
        orderId,
        quantity: fc.integer({ min: -1, max: 25 }),
        now: fc.constant(now),
      }),
      fc.record({
        type: fc.constant('ReleaseStock' as const),
        productId: fc.constant(productId),
        orderId,
        reason: fc.constant('r'),
        now: fc.constant(now),
      }),
      fc.record({
        type: fc.constant('CommitStock' as const),
        productId: fc.constant(productId),
        orderId,
        now: fc.constant(now),
      }),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        const history: InventoryEvent[] = [];
        for (const cmd of commands) {
          const decision = inventoryDecider.decide(cmd, fold(inventoryDecider, history));
          if (E.isRight(decision)) history.push(...decision.right);
        }
        const s = fold(inventoryDecider, history);
        const sum = (type: InventoryEvent['type'], f: (e: InventoryEvent) => number) =>
          history.filter((e) => e.type === type).reduce((n, e) => n + f(e), 0);
        const receivedTotal = sum('StockReceived', (e) =>
          e.type === 'StockReceived' ? e.data.quantity : 0,
        );
        const adjusted = sum('StockAdjusted', (e) =>
          e.type === 'StockAdjusted' ? e.data.adjustment : 0,
        );
        const committed = sum('StockCommitted', (e) =>
          e.type === 'StockCommitted' ? e.data.quantity : 0,
        );
        expect(available(s)).toBeGreaterThanOrEqual(0);
        expect(s.reserved).toBeGreaterThanOrEqual(0);
        expect(s.onHand).toBe(receivedTotal + adjusted - committed);
        // LowStock only ever fires on a crossing: never twice without a re-arm between.
        let armed = true;
        let state = inventoryDecider.initialState;
        for (const e of history) {
          if (e.type === 'LowStock') {
            expect(armed).toBe(true);
            armed = false;
          }
          state = inventoryDecider.evolve(state, e);
          if (available(state) >= state.reorderThreshold) armed = true;
        }
      }),
      { numRuns: 300 },
    );
  });
});
