import { allOrNothing } from '../../src/commands/inventory.commands';
import { inventoryDecider } from '../../src/domain/inventory/inventory.decider';
import type { InventoryEvent } from '../../src/domain/inventory/inventory.events';
import { spec } from '../support/decider-spec';

const productId = 'p-1';
const now = '2026-11-21T10:00:00.000Z';
const base = { productId, at: now };
const inventory = spec(allOrNothing(inventoryDecider));

const opened: InventoryEvent[] = [
  { type: 'ReorderThresholdChanged', data: { ...base, threshold: 2 } },
  { type: 'StockReceived', data: { ...base, sku: 'MUG', quantity: 4 } },
];
const threshold = (n: number) =>
  ({ type: 'ChangeReorderThreshold', productId, threshold: n, now }) as const;
const adjust = (n: number) =>
  ({ type: 'AdjustStock', productId, adjustment: n, reason: 'count', now }) as const;

describe('allOrNothing(inventoryDecider)', () => {
  it('decides each command on the state the previous one left, LowStock once', () => {
    inventory
      .given(opened)
      .when([threshold(5), adjust(-1)])
      .then([
        { type: 'ReorderThresholdChanged', data: { ...base, threshold: 5 } },
        { type: 'LowStock', data: { ...base, available: 4, threshold: 5 } },
        { type: 'StockAdjusted', data: { ...base, adjustment: -1, reason: 'count' } },
      ]);
  });

  it('refuses all when one is refused', () => {
    inventory
      .given(opened)
      .when([threshold(5), adjust(-5)])
      .thenFails('INSUFFICIENT_STOCK');
  });

  it('refuses an inventory that does not exist, even for a threshold alone', () => {
    inventory.when([threshold(5)]).thenFails('INVENTORY_NOT_FOUND');
  });
});
