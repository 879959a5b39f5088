import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { decodeEnv, fromString, Port, wholeNumber, WholeNumber } from '../../src/infra/env';

const Env = t.partial({
  PORT: Port,
  COUNT: WholeNumber('a whole number (0 or more)', 0),
  TOKEN: fromString('at least 8 characters', (s) => (s.length >= 8 ? s : undefined)),
});

describe('environment variables', () => {
  it('decodes the variables it names, empty or blank counting as unset', () => {
    expect(decodeEnv(Env, { PORT: ' 8080 ', COUNT: '', TOKEN: '   ', OTHER: 'x' })).toEqual(
      E.right({ PORT: 8080 }),
    );
  });

  it('gives one line per bad variable, saying what it should be and what it got', () => {
    expect(decodeEnv(Env, { PORT: '70000', COUNT: '-1' })).toEqual(
      E.left([
        'PORT: expected a TCP port (an integer from 1 to 65535), got "70000"',
        'COUNT: expected a whole number (0 or more), got "-1"',
      ]),
    );
  });

  it('never echoes the value of a secret variable', () => {
    expect(decodeEnv(Env, { TOKEN: 'short' }, new Set(['TOKEN']))).toEqual(
      E.left(['TOKEN: expected at least 8 characters']),
    );
  });

  it('reads whole numbers of at least a minimum, spaces around allowed', () => {
    expect(wholeNumber(' 42 ', 1)).toBe(42);
    expect(wholeNumber('0', 1)).toBeUndefined();
    expect(wholeNumber('1.5', 0)).toBeUndefined();
    expect(wholeNumber('1e3', 0)).toBeUndefined();
    expect(wholeNumber('99999999999999999999', 0)).toBeUndefined(); // beyond a safe integer
  });
});
