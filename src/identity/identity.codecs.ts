import * as t from 'io-ts';
import { Email, NonEmptyString, Password } from '../api/codecs';

/** A string of 1 to `max` characters without NUL (PostgreSQL text cannot hold it: a 500). */
function given(name: string, max: number): t.Type<string, string, unknown> {
  return new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && acceptable(u, max),
    (u, c) =>
      typeof u === 'string' && acceptable(u, max)
        ? t.success(u)
        : t.failure(u, c, `must be a string of 1 to ${max} characters`),
    t.identity,
  );
}
const acceptable = (s: string, max: number) => s !== '' && s.length <= max && !s.includes('\0');

/**
 * An optional field, kept inside `t.type` rather than a `t.partial` intersection: `decode`
 * names fields of a top-level intersection `body[0].email` instead of `body.email`.
 */
const optional = <A, O>(codec: t.Type<A, O, unknown>) => t.union([codec, t.undefined]);

const PHONE = /^\+?[0-9 ().-]{3,32}$/;

/** A phone number as people write it (digits, spaces, `+ ( ) - .`), trimmed. */
export const Phone = new t.Type<string, string, unknown>(
  'Phone',
  (u): u is string => typeof u === 'string' && PHONE.test(u) && /\d/.test(u),
  (u, c) => {
    const phone = typeof u === 'string' ? u.trim() : undefined;
    return phone !== undefined && PHONE.test(phone) && /\d/.test(phone)
      ? t.success(phone)
      : t.failure(u, c, 'must be a phone number (digits, spaces and + ( ) - .)');
  },
  t.identity,
);

/**
 * `POST /auth/register`. Exact: a smuggled `role` or `id` is dropped, never applied. The
 * email arrives trimmed and lower-cased.
 */
export const RegisterBody = t.exact(
  t.type({
    email: Email,
    password: Password,
    first_name: NonEmptyString(100),
    last_name: NonEmptyString(100),
    phone: optional(t.union([Phone, t.null])),
  }),
);
export type RegisterBody = t.TypeOf<typeof RegisterBody>;

// Login takes any plausible strings: a malformed email is simply an unknown account (401),
// and the password policy is registration's business, not login's.
const LoginEmail = given('LoginEmail', 254);
const LoginPassword = given('LoginPassword', 1024);

/** `POST /auth/login` as JSON. */
export const JsonLoginBody = t.exact(t.type({ email: LoginEmail, password: LoginPassword }));
/** `POST /auth/login` as an OAuth2-style form (`username` is the email). */
export const FormLoginBody = t.exact(t.type({ username: LoginEmail, password: LoginPassword }));

/** `POST /auth/refresh`. */
export const RefreshBody = t.exact(t.type({ refresh_token: given('RefreshToken', 4096) }));

/** `POST /users/me/addresses`. */
export const AddressBody = t.exact(
  t.type({
    line1: NonEmptyString(200),
    line2: optional(t.union([NonEmptyString(200), t.null])),
    city: NonEmptyString(100),
    state: NonEmptyString(100),
    postal_code: NonEmptyString(20),
    country: NonEmptyString(100),
    is_default: optional(t.boolean),
  }),
);
export type AddressBody = t.TypeOf<typeof AddressBody>;
