import { laggingConsumers } from '../../bench/support/backlog';

describe('the bench: consumers that do not keep up with the full phase', () => {
  it('names a consumer more than a tenth of the phase behind', () => {
    const checks = laggingConsumers({ orders: 120, 'inventory-reactions': 30_381 }, 170_000);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatch(/^inventory-reactions: its checkpoint was 30381 events behind/);
  });

  it('passes consumers a batch or two behind', () => {
    expect(laggingConsumers({ orders: 900, fulfilment: 2_400 }, 170_000)).toEqual([]);
  });
});
