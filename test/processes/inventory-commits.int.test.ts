import type { EventStore } from '../../src/eventstore';
import { TEST_CARDS } from '../../src/payment-gateway';
import {
  createHarness,
  inventory,
  placeOrder,
  receiveStock,
  waitFor,
  waitForStatus,
  type Harness,
} from './harness';
import { beforeAppends } from './harness-extra';

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

/**
 * The event store as the inventory reactor sees it: a StockCommitted append waits at a gate
 * until `lines` of them wait together (or `patienceMs` passes), and the gate records how
 * many ever waited at once. Appends made one after the other never meet there.
 */
function gatedCommits(store: EventStore, lines: number, patienceMs: number) {
  const waiting = new Set<() => void>();
  let mostAtOnce = 0;
  const gate = () =>
    new Promise<void>((resolve) => {
      const open = () => {
        clearTimeout(timer);
        waiting.delete(open);
        resolve();
      };
      const timer = setTimeout(open, patienceMs);
      waiting.add(open);
      mostAtOnce = Math.max(mostAtOnce, waiting.size);
      if (waiting.size >= lines) for (const release of [...waiting]) release();
    });
  const gated = beforeAppends(store, async (_stream, events) => {
    if (events.some((e) => e.type === 'StockCommitted')) await gate();
  });
  return { store: gated, mostAtOnce: () => mostAtOnce };
}

describe('inventory reactions', () => {
  it("commits a processed order's lines side by side", async () => {
    // One after the other, each commit waited for the one before it, and at full load the
    // reactor fell ever further behind the saga (bench:orders: 137,000 events behind after
    // a 90 s phase).
    const products = [
      await receiveStock(h, 10),
      await receiveStock(h, 10),
      await receiveStock(h, 10),
    ];
    const commits = gatedCommits(h.store, products.length, 2_000);
    h.start({}, commits.store);
    try {
      const orderId = await placeOrder(
        h,
        products.map((productId, i) => ({ productId, quantity: i + 1 })),
        TEST_CARDS.succeeds,
      );
      await waitForStatus(h, orderId, 'processed');
      await waitFor(async () => {
        const states = await Promise.all(products.map((p) => inventory(h, p)));
        return states.every((s) => s.reserved === 0);
      }, 'every line committed');
      const states = await Promise.all(products.map((p) => inventory(h, p)));
      expect(states.map((s) => s.onHand)).toEqual([9, 8, 7]);
      expect(commits.mostAtOnce()).toBe(products.length);
    } finally {
      await h.stopRunners();
    }
  });
});
