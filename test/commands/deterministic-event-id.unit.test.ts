import fc from 'fast-check';
import {
  deterministicEventId,
  orderflowEventIdNamespace,
  uuidV5,
} from '../../src/commands/command-handler';
import { uuidV7 } from '../../src/infra/uuid-v7';

const uuidV5Pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidV5', () => {
  it('matches the RFC 4122 / Python uuid.uuid5 reference values', () => {
    const dns = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    const url = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
    expect(uuidV5(dns, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5(dns, 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(uuidV5(url, 'http://example.com/')).toBe('0a300ee9-f9e4-5697-a51a-efc7fafaba67');
    // Multi-byte UTF-8: the name is hashed as bytes, not as UTF-16 units.
    expect(uuidV5(dns, 'bücher.example/ørder:1')).toBe('9e1abe4c-f6b2-5235-9fa8-8ac67ba6358f');
  });

  it('rejects a namespace that is not a UUID', () => {
    expect(() => uuidV5('not-a-uuid', 'x')).toThrow(RangeError);
    expect(() => uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430cz', 'x')).toThrow(RangeError);
  });
});

describe('deterministicEventId', () => {
  it('is stable: the same command and index always give the same id', () => {
    expect(deterministicEventId('cmd-1', 0)).toBe(deterministicEventId('cmd-1', 0));
    // Pinned: changing the namespace or the name layout would change every stored id.
    // (the value is Python's uuid.uuid5(UUID(namespace), 'cmd-1:0')).
    expect(orderflowEventIdNamespace).toBe('8f3a6c4e-2b1d-4f7a-9c55-0e6d3b7a91c2');
    expect(deterministicEventId('cmd-1', 0)).toBe('1b39cf41-e5b1-571c-9586-a990b3757719');
  });

  it('is a version 5, RFC 4122 variant UUID when the command id holds no time-ordered UUID', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(1000), (commandId, index) => {
        expect(deterministicEventId(commandId, index)).toMatch(uuidV5Pattern);
      }),
    );
    // An order id made before order ids were version 7: the ids its commands had then.
    const v4 = '0b6f2f8e-5d5e-4a57-9d0b-6f1d1c7e8a11';
    expect(deterministicEventId(`${v4}:processed`, 0)).toBe(
      uuidV5(orderflowEventIdNamespace, `${v4}:processed:0`),
    );
  });

  it("keeps the time of the command id's version 7 UUID, as a version 8 over the same hash", () => {
    const orderId = '017f22e2-79b0-7cc3-98c4-dc0c0c07398f';
    const id = deterministicEventId(`${orderId}:processed`, 0);
    // Pinned: the time field, version 8, then the v5 id's bits from its version nibble on.
    const v5 = uuidV5(orderflowEventIdNamespace, `${orderId}:processed:0`);
    expect(id).toBe(`017f22e2-79b0-8${v5.slice(15)}`);
    expect(id).toMatch(/^017f22e2-79b0-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicEventId(`place-order:${orderId}`, 2).slice(0, 15)).toBe('017f22e2-79b0-8');
    // An event id made so passes its time on to the commands it causes.
    expect(deterministicEventId(`${id}:commit:x`, 0).slice(0, 13)).toBe('017f22e2-79b0');

    // The events of later orders sort after those of earlier ones, as the orders do.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 47 }),
        fc.integer({ min: 1, max: 10 ** 9 }),
        fc.constantFrom(':processed', ':stock-reserved', ':reserve:1:p'),
        fc.nat(5),
        (ms, gap, suffix, index) => {
          const earlier = deterministicEventId(`${uuidV7(ms)}${suffix}`, index);
          const later = deterministicEventId(`${uuidV7(ms + gap)}${suffix}`, index);
          expect(earlier < later).toBe(true);
        },
      ),
    );
  });

  it('differs per index and per command', () => {
    const ids = new Set<string>();
    const orderId = uuidV7(1_700_000_000_000);
    const sameMs = uuidV7(1_700_000_000_000);
    const commandIds = ['a', 'b', 'a:1', 'a:1:', '1', 'A', `${orderId}:x`, `${sameMs}:x`, orderId];
    for (const commandId of commandIds) {
      for (let index = 0; index < 20; index++) ids.add(deterministicEventId(commandId, index));
    }
    expect(ids.size).toBe(commandIds.length * 20);

    fc.assert(
      fc.property(
        fc.tuple(fc.string({ minLength: 1 }), fc.nat(100)),
        fc.tuple(fc.string({ minLength: 1 }), fc.nat(100)),
        ([c1, i1], [c2, i2]) => {
          fc.pre(c1 !== c2 || i1 !== i2);
          expect(deterministicEventId(c1, i1)).not.toBe(deterministicEventId(c2, i2));
        },
      ),
    );
  });

  it('rejects an empty command id and a bad index', () => {
    expect(() => deterministicEventId('', 0)).toThrow(RangeError);
    expect(() => deterministicEventId('c', -1)).toThrow(RangeError);
    expect(() => deterministicEventId('c', 1.5)).toThrow(RangeError);
  });
});
