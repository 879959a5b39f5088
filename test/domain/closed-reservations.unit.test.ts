import fc from 'fast-check';
import {
  ClosedReservations,
  GENERATION,
  type ClosedAs,
} from '../../src/domain/inventory/closed-reservations';

describe('ClosedReservations', () => {
  it('answers like a map, newest status first, and leaves every earlier version intact', () => {
    // Enough writes over a small set of orders to freeze and merge several generations.
    const write = fc.tuple(
      fc.integer({ min: 0, max: 3000 }),
      fc.constantFrom<ClosedAs>('released', 'committed'),
    );
    fc.assert(
      fc.property(fc.array(write, { minLength: 2000, maxLength: 6000 }), (writes) => {
        let closed = ClosedReservations.empty;
        const model = new Map<string, ClosedAs>();
        const versions: { closed: ClosedReservations; model: Map<string, ClosedAs> }[] = [];
        writes.forEach(([order, status], i) => {
          closed = closed.set(`o-${order}`, status);
          model.set(`o-${order}`, status);
          if (i % 997 === 0) versions.push({ closed, model: new Map(model) });
        });
        versions.push({ closed, model });
        for (const version of versions) {
          for (let order = 0; order <= 3000; order += 7) {
            expect(version.closed.get(`o-${order}`)).toBe(version.model.get(`o-${order}`));
          }
        }
      }),
      { numRuns: 5 },
    );
  });

  it('keeps at most log2(n / GENERATION) + 1 frozen generations', () => {
    let closed = ClosedReservations.empty;
    for (let i = 0; i < 100_000; i++) closed = closed.set(`o-${i}`, 'committed');
    expect(closed.generations).toBeGreaterThan(0);
    expect(closed.generations).toBeLessThanOrEqual(Math.log2(100_000 / GENERATION) + 1);
    expect(closed.get('o-0')).toBe('committed');
    expect(closed.get('o-99999')).toBe('committed');
    expect(closed.get('o-100000')).toBeUndefined();
  });
});
