import * as t from 'io-ts';
import { decode } from '../../src/api/decode';
import { HttpProblem } from '../../src/api/problem';

const Body = t.exact(
  t.type({
    email: t.string,
    items: t.array(t.exact(t.type({ product_id: t.string, quantity: t.number }))),
    payment: t.union([
      t.exact(t.type({ method: t.literal('card'), card_number: t.string })),
      t.exact(t.type({ method: t.literal('token'), token: t.string })),
    ]),
  }),
);

function problemOf(value: unknown): HttpProblem {
  try {
    decode(Body, value, 'body');
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('decode accepted invalid input');
}

describe('decode', () => {
  it('returns the value with unknown fields stripped', () => {
    const body = decode(
      Body,
      {
        email: 'a@b.c',
        status: 'paid',
        items: [{ product_id: 'p', quantity: 1, price: 0 }],
        payment: { method: 'token', token: 'tok' },
      },
      'body',
    );
    expect(body).toEqual({
      email: 'a@b.c',
      items: [{ product_id: 'p', quantity: 1 }],
      payment: { method: 'token', token: 'tok' },
    });
  });

  it('throws a 400 naming every bad field once, with its path', () => {
    const problem = problemOf({
      email: 3,
      items: [{ product_id: 'p', quantity: 1 }, { quantity: 'x' }],
      payment: { method: 'card' },
    });
    expect(problem.status).toBe(400);
    const fields = problem.options.errors?.map((e) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'body.email',
        'body.items[1].product_id',
        'body.items[1].quantity',
        'body.payment.card_number',
      ]),
    );
    expect(new Set(fields).size).toBe(fields?.length);
  });

  it('names fields of an exact intersection without member indexes', () => {
    const Mixed = t.exact(
      t.intersection([t.type({ email: t.string }), t.partial({ phone: t.string })]),
    );
    try {
      decode(Mixed, { email: 1, phone: 2 }, 'body');
      throw new Error('decode accepted invalid input');
    } catch (error) {
      expect((error as HttpProblem).options.errors?.map((e) => e.field)).toEqual([
        'body.email',
        'body.phone',
      ]);
    }
  });

  it('names a missing body', () => {
    expect(problemOf(undefined).options.errors?.[0]?.field).toBe('body');
  });
});
