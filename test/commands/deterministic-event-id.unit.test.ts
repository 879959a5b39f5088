import fc from 'fast-check';
import {
  deterministicEventId,
  orderflowEventIdNamespace,
  uuidV5,
} from '../../src/commands/command-handler';

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

  it('is a version 5, RFC 4122 variant UUID', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(1000), (commandId, index) => {
        expect(deterministicEventId(commandId, index)).toMatch(uuidV5Pattern);
      }),
    );
  });

  it('differs per index and per command', () => {
    const ids = new Set<string>();
    for (const commandId of ['a', 'b', 'a:1', 'a:1:', '1', 'A']) {
      for (let index = 0; index < 20; index++) ids.add(deterministicEventId(commandId, index));
    }
    expect(ids.size).toBe(6 * 20);

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
