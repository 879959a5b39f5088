import fc from 'fast-check';
import { timeFieldOf, uuidV7 } from '../../src/infra/uuid-v7';

const v7Pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timeOf = (uuid: string) => parseInt(uuid.slice(0, 8) + uuid.slice(9, 13), 16);

describe('uuidV7', () => {
  it('is a version 7, RFC variant UUID carrying the time in its first 48 bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (ms) => {
        const id = uuidV7(ms);
        expect(id).toMatch(v7Pattern);
        expect(timeOf(id)).toBe(ms);
      }),
    );
    // RFC 9562 appendix A.6's example time, 2022-02-22T19:22:22.000Z.
    expect(uuidV7(0x017f22e279b0).slice(0, 15)).toBe('017f22e2-79b0-7');
    expect(timeOf(uuidV7())).toBeGreaterThanOrEqual(Date.now() - 1000);
  });

  it('sorts as text in the order of its times, and is random within one millisecond', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 2 }),
        fc.integer({ min: 1, max: 10 ** 6 }),
        (earlier, gap) => {
          const later = Math.min(2 ** 48 - 1, earlier + gap);
          expect(uuidV7(earlier) < uuidV7(later)).toBe(true);
        },
      ),
    );
    const sameMs = new Set(Array.from({ length: 1000 }, () => uuidV7(1_700_000_000_000)));
    expect(sameMs.size).toBe(1000);
  });

  it('refuses a time that does not fit in 48 bits of milliseconds', () => {
    for (const bad of [-1, 2 ** 48, 1.5, Number.NaN]) {
      expect(() => uuidV7(bad)).toThrow(RangeError);
    }
  });
});

describe('timeFieldOf', () => {
  it("gives the time field of the text's first UUID when it is version 7 or 8", () => {
    const v7 = uuidV7(0x017f22e279b0);
    expect(timeFieldOf(v7)).toBe('017f22e2-79b0');
    expect(timeFieldOf(`${v7}:reserve:1:${uuidV7(1)}`)).toBe('017f22e2-79b0');
    expect(timeFieldOf(`place-order:${v7}`)).toBe('017f22e2-79b0');
    expect(timeFieldOf('017f22e2-79b0-8abc-9def-0123456789ab:commit')).toBe('017f22e2-79b0');
  });

  it('gives nothing when the first UUID is of another version, or there is none', () => {
    const v4 = '0b6f2f8e-5d5e-4a57-9d0b-6f1d1c7e8a11';
    // Only the first UUID counts: a later version 7 does not lend its time.
    expect(timeFieldOf(`${v4}:reserve:1:${uuidV7()}`)).toBeUndefined();
    expect(timeFieldOf('2ed6657d-e927-568b-95e1-2665a8aea6a2')).toBeUndefined();
    expect(timeFieldOf('cmd-1')).toBeUndefined();
    expect(timeFieldOf('')).toBeUndefined();
  });
});
