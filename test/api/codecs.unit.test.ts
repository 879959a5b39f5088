import { isLeft, isRight } from 'fp-ts/Either';
import * as t from 'io-ts';
import {
  Currency,
  Cursor,
  decodeCursor,
  Email,
  encodeCursor,
  Limit,
  Money,
  NonEmptyString,
  NonNegativeInt,
  Password,
  Quantity,
  Uuid,
} from '../../src/api/codecs';
import { decode } from '../../src/api/decode';
import { uuidParam } from '../../src/api/params';
import { HttpProblem } from '../../src/api/problem';

function decoded<A>(codec: t.Decoder<unknown, A>, value: unknown): A {
  const result = codec.decode(value);
  if (isLeft(result)) throw new Error(`${codec.name} refused ${JSON.stringify(value)}`);
  return result.right;
}

const refuses = (codec: t.Decoder<unknown, unknown>, value: unknown) => isLeft(codec.decode(value));

/** Each codec: what it accepts (and decodes to), and what it refuses. */
const cases: Array<{
  codec: t.Decoder<unknown, unknown>;
  accepts: Array<[unknown, unknown]>;
  refuses: unknown[];
}> = [
  {
    codec: Uuid,
    accepts: [
      ['0b8e5a5c-1d2f-4a3b-9c4d-5e6f7a8b9c0d', '0b8e5a5c-1d2f-4a3b-9c4d-5e6f7a8b9c0d'],
      ['0B8E5A5C-1D2F-4A3B-9C4D-5E6F7A8B9C0D', '0b8e5a5c-1d2f-4a3b-9c4d-5e6f7a8b9c0d'],
    ],
    refuses: [
      'not-a-uuid',
      '0b8e5a5c1d2f4a3b9c4d5e6f7a8b9c0d',
      '0b8e5a5c-1d2f-4a3b-9c4d-5e6f7a8b9c0',
      ' 0b8e5a5c-1d2f-4a3b-9c4d-5e6f7a8b9c0d',
      'gb8e5a5c-1d2f-4a3b-9c4d-5e6f7a8b9c0d',
      42,
      null,
      undefined,
    ],
  },
  {
    codec: Email,
    accepts: [
      ['ada@example.com', 'ada@example.com'],
      ['  Ada.Lovelace+shop@Example.CO.uk ', 'ada.lovelace+shop@example.co.uk'],
    ],
    refuses: [
      '',
      'ada',
      'ada@',
      '@example.com',
      'ada@example',
      'a b@example.com',
      'ada@@example.com',
      'ada@example..com',
      `${'a'.repeat(65)}@example.com`,
      `a@${'b'.repeat(250)}.com`,
      'a\u0000@example.com',
      7,
    ],
  },
  {
    codec: Password,
    accepts: [
      ['12345678', '12345678'],
      [' spaces kept ', ' spaces kept '],
      ['p'.repeat(128), 'p'.repeat(128)],
    ],
    refuses: ['1234567', 'p'.repeat(129), '', 12345678, 'pass\u0000word'],
  },
  {
    codec: Money,
    accepts: [
      [0, 0],
      [19.99, 1999],
      [0.1, 10],
      [0.29, 29],
      [1.01, 101],
      [10, 1000],
      [10_000_000, 1_000_000_000],
    ],
    refuses: [-1, -0.01, 1.005, 0.001, 19.999, '19.99', NaN, Infinity, 10_000_000.01, null],
  },
  {
    codec: Quantity,
    accepts: [
      [1, 1],
      [10_000, 10_000],
    ],
    refuses: [0, -1, 1.5, 10_001, '3', NaN, null],
  },
  {
    codec: NonNegativeInt,
    accepts: [
      [0, 0],
      [10, 10],
      [2_147_483_647, 2_147_483_647],
    ],
    refuses: [-1, 0.5, 2_147_483_648, '1', null],
  },
  {
    codec: NonEmptyString(5),
    accepts: [
      ['abc', 'abc'],
      ['  abc  ', 'abc'],
      ['héllo', 'héllo'],
      ['😀😀😀😀😀', '😀😀😀😀😀'],
    ],
    refuses: ['', '   ', 'abcdef', 'a\u0000b', 5, null],
  },
  {
    codec: Currency,
    accepts: [
      ['USD', 'USD'],
      ['EUR', 'EUR'],
    ],
    refuses: ['usd', 'US', 'USDT', 'U$D', '', 840],
  },
  {
    codec: Limit,
    accepts: [
      ['1', 1],
      ['20', 20],
      ['100', 100],
    ],
    refuses: ['0', '101', '1000', '-1', '2.5', '', 'ten', ['10', '20'], undefined],
  },
  {
    codec: Cursor,
    accepts: [
      ['eyJpZCI6MX0', 'eyJpZCI6MX0'],
      ['a-b_c', 'a-b_c'],
    ],
    refuses: ['', 'eyJ+aWQ/', 'has space', 'x'.repeat(513), 12],
  },
];

describe.each(cases)('$codec.name', ({ codec, accepts, refuses: refused }) => {
  it.each(accepts)('accepts %p as %p', (input, output) => {
    expect(decoded(codec, input)).toEqual(output);
  });

  it.each(refused.map((v) => [v]))('refuses %p with a message for the client', (input) => {
    const result = codec.decode(input);
    expect(isLeft(result)).toBe(true);
    if (isLeft(result)) expect(result.left[0]?.message).toEqual(expect.any(String));
  });
});

describe('encoding back to the wire', () => {
  it('turns minor units back into a decimal amount', () => {
    expect(Money.encode(decoded(Money, 19.99))).toBe(19.99);
    expect(Money.encode(decoded(Money, 0.07))).toBe(0.07);
  });

  it('knows decoded values with is()', () => {
    expect(Uuid.is('0b8e5a5c-1d2f-4a3b-9c4d-5e6f7a8b9c0d')).toBe(true);
    expect(Uuid.is('0B8E5A5C-1D2F-4A3B-9C4D-5E6F7A8B9C0D')).toBe(false); // not normalised
    expect(Money.is(1999)).toBe(true);
    expect(Money.is(19.99)).toBe(false);
    expect(Quantity.is(3)).toBe(true);
    expect(refuses(Quantity, 3)).toBe(false);
  });
});

describe('cursors', () => {
  it('round-trip a value through an opaque base64url string', () => {
    const cursor = encodeCursor({ after: 'Widget', id: 'p-1' });
    expect(isRight(Cursor.decode(cursor))).toBe(true);
    expect(decodeCursor(cursor)).toEqual({ after: 'Widget', id: 'p-1' });
  });

  it('decode to undefined when they are not ours', () => {
    expect(decodeCursor(decoded(Cursor, 'bm90IGpzb24'))).toBeUndefined();
  });
});

describe('uuidParam', () => {
  const ctx = (params: Record<string, string>) => ({ params });

  it('returns the id lower-cased', () => {
    expect(uuidParam(ctx({ id: '0B8E5A5C-1D2F-4A3B-9C4D-5E6F7A8B9C0D' }), 'id')).toBe(
      '0b8e5a5c-1d2f-4a3b-9c4d-5e6f7a8b9c0d',
    );
  });

  it.each([['not-a-uuid'], ['1'], ["1' OR 1=1"]])('answers %p with 404', (id) => {
    let thrown: unknown;
    try {
      uuidParam(ctx({ id }), 'id');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HttpProblem);
    expect((thrown as HttpProblem).status).toBe(404);
  });

  it('answers a missing parameter with 404', () => {
    expect(() => uuidParam(ctx({}), 'id')).toThrow(HttpProblem);
  });
});

describe('inside a request codec', () => {
  const Body = t.exact(
    t.type({ email: Email, price: Money, quantity: Quantity, name: NonEmptyString(100) }),
  );

  it('names each bad field with the codec message', () => {
    let thrown: unknown;
    try {
      decode(Body, { email: 'nope', price: 1.234, quantity: 0, name: ' ' }, 'body');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as HttpProblem).options.errors).toEqual([
      { field: 'body.email', message: 'must be an email address' },
      {
        field: 'body.price',
        message: 'must be an amount ≥ 0 with at most two decimal places, up to 10000000',
      },
      { field: 'body.quantity', message: 'must be a whole number from 1 to 10000' },
      { field: 'body.name', message: 'must be 1 to 100 characters' },
    ]);
  });

  it('decodes to normalised values', () => {
    expect(
      decode(Body, { email: ' A@B.io ', price: 5.5, quantity: 2, name: ' Mug ' }, 'body'),
    ).toEqual({ email: 'a@b.io', price: 550, quantity: 2, name: 'Mug' });
  });
});
