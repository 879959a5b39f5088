import fc from 'fast-check';
import {
  ClosedReservations,
  GENERATION,
  type ClosedAs,
} from '../../src/domain/inventory/closed-reservations';

/**
 * Order `n`'s id: a lowercase UUID (what orderflow makes, kept packed) for odd `n`, any other
 * string for even `n` (kept as is). The UUIDs differ in every one of their four words.
 */
function idOf(n: number): string {
  if (n % 2 === 0) return `o-${n}`;
  const word = (salt: number) => (Math.imul(n + 1, 2654435761 + salt) >>> 0).toString(16);
  const hex = [0, 1, 2, 3].map((salt) => word(salt * 7919).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

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
          closed = closed.set(idOf(order), status);
          model.set(idOf(order), status);
          if (i % 997 === 0) versions.push({ closed, model: new Map(model) });
        });
        versions.push({ closed, model });
        for (const version of versions) {
          for (let order = 0; order <= 3000; order += 7) {
            expect(version.closed.get(idOf(order))).toBe(version.model.get(idOf(order)));
          }
        }
      }),
      { numRuns: 5 },
    );
  });

  it('keeps at most log2(n / GENERATION) + 1 frozen generations', () => {
    let closed = ClosedReservations.empty;
    for (let i = 0; i < 100_000; i++) closed = closed.set(idOf(i), 'committed');
    expect(closed.generations).toBeGreaterThan(0);
    expect(closed.generations).toBeLessThanOrEqual(Math.log2(100_000 / GENERATION) + 1);
    for (const i of [0, 1, 99_998, 99_999]) expect(closed.get(idOf(i))).toBe('committed');
    expect(closed.get(idOf(100_000))).toBeUndefined();
    expect(closed.get(idOf(100_001))).toBeUndefined();
  });

  it('tells a UUID from the same UUID in capitals: two ids, as strings are', () => {
    let closed = ClosedReservations.empty;
    const id = idOf(1);
    closed = closed.set(id, 'committed');
    for (let i = 0; i < GENERATION; i++) closed = closed.set(idOf(1_000 + 2 * i + 1), 'released');
    expect(closed.generations).toBe(1); // frozen, so packed
    expect(closed.get(id)).toBe('committed');
    expect(closed.get(id.toUpperCase())).toBeUndefined();
    closed = closed.set(id.toUpperCase(), 'released');
    expect([closed.get(id), closed.get(id.toUpperCase())]).toEqual(['committed', 'released']);
  });
});
