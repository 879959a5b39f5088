import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import { badRequest, type FieldError } from './problem';

/**
 * Decodes one part of a request with its io-ts codec, or throws a 400 naming every bad
 * field (`body.items[1].quantity`). Use `t.exact(t.type(...))` codecs: unknown fields are
 * stripped, so `{"status": "paid"}` smuggled into a body never reaches a command.
 */
export function decode<A, O>(
  codec: t.Type<A, O, unknown>,
  value: unknown,
  where: 'body' | 'query' | 'params' | 'headers',
): A {
  const result = codec.decode(value);
  if (!isLeft(result)) return result.right;
  throw badRequest(fieldErrors(result.left, where));
}

/** One entry per failing field, with the path written as a client would. */
export function fieldErrors(errors: t.Errors, where: string): FieldError[] {
  const byField = new Map<string, string>();
  for (const error of errors) {
    // io-ts repeats a key for each codec layer (exact, intersection, union members): keep
    // one entry per real key, and drop union/intersection member indexes.
    const path = error.context
      .filter((entry, i, all) => {
        const parent = unwrap(all[i - 1]?.type);
        return (
          i > 0 &&
          entry.key !== '' &&
          !(parent instanceof t.UnionType) &&
          !(parent instanceof t.IntersectionType)
        );
      })
      .map((entry) => entry.key);
    const field = [where, ...dedupe(path)].reduce((acc, key) =>
      /^\d+$/.test(key) ? `${acc}[${key}]` : `${acc}.${key}`,
    );
    if (!byField.has(field)) byField.set(field, error.message ?? describe(error));
  }
  return [...byField].map(([field, message]) => ({ field, message }));
}

/** The codec inside exact/readonly/refinement wrappers, which add no path segment. */
function unwrap(codec: t.Decoder<unknown, unknown> | undefined): unknown {
  let inner: unknown = codec;
  while (
    inner instanceof t.ExactType ||
    inner instanceof t.ReadonlyType ||
    inner instanceof t.RefinementType
  ) {
    inner = (inner as { type: unknown }).type;
  }
  return inner;
}

function dedupe(keys: string[]): string[] {
  return keys.filter((key, i) => key !== keys[i - 1]);
}

function describe(error: t.ValidationError): string {
  const expected = error.context[error.context.length - 1]?.type.name ?? 'a valid value';
  return error.value === undefined ? `is required (${expected})` : `must be ${expected}`;
}
