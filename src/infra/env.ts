import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as t from 'io-ts';

/**
 * Reading settings from environment variables, shared by every part that has some (the
 * process config, the fulfilment schedules, the payment client, the mock gateway): a codec
 * per variable that turns its text into a value or fails with what it should be, for
 * humans, and `decodeEnv`, which gives one line per bad variable.
 */

/** A string codec that refines or converts; `name` says what the text should be. */
export function fromString<A>(
  name: string,
  parse: (s: string) => A | undefined,
): t.Type<A, string, unknown> {
  return new t.Type<A, string, unknown>(
    name,
    (u): u is A => parse(String(u)) !== undefined,
    (u, c) => {
      const parsed = typeof u === 'string' ? parse(u) : undefined;
      return parsed === undefined ? t.failure(u, c, name) : t.success(parsed);
    },
    String,
  );
}

/** The digits (spaces around allowed) as a whole number of at least `min`, else undefined. */
export const wholeNumber = (s: string, min: number): number | undefined => {
  const n = /^\d+$/.test(s.trim()) ? Number(s.trim()) : NaN;
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
};

/** A whole number of at least `min`; `name` says so for humans. */
export const WholeNumber = (name: string, min: number) =>
  fromString(name, (s) => wholeNumber(s, min));

export const Port = fromString('a TCP port (an integer from 1 to 65535)', (s) => {
  const n = wholeNumber(s, 1);
  return n !== undefined && n <= 65535 ? n : undefined;
});

/**
 * The variables `codec` names, decoded; an empty value counts as unset (so `FOO=` in a
 * compose file falls back to the default). `Left` has one line per bad variable:
 * `NAME: expected <what it should be>, got "<value>"`, without the value for `secret` ones.
 */
export function decodeEnv<P extends t.Props>(
  codec: t.PartialC<P>,
  env: Record<string, string | undefined>,
  secret: ReadonlySet<string> = new Set(),
): E.Either<string[], t.TypeOf<t.PartialC<P>>> {
  const present = Object.fromEntries(
    Object.keys(codec.props).flatMap((k) => (env[k]?.trim() ? [[k, env[k]]] : [])),
  );
  return pipe(
    codec.decode(present),
    E.mapLeft((errors) =>
      errors.map((e) => {
        const key = e.context[1]?.key ?? '?';
        const expected = e.context[e.context.length - 1]?.type.name ?? 'a valid value';
        const shown = secret.has(key) ? '' : `, got ${JSON.stringify(e.value)}`;
        return `${key}: expected ${expected}${shown}`;
      }),
    ),
  );
}
