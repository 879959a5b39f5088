import { randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

// `Algorithm` is a const enum in the package's typings and absent at run time (swc does not
// inline const enums from declaration files): 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

/**
 * Argon2id with the library's defaults, which are OWASP's minimum recommendation
 * (19 MiB, 2 passes, 1 lane); the parameters travel inside the PHC string, so raising them
 * later still verifies old hashes.
 */
const OPTIONS = { algorithm: ARGON2ID };

/** The PHC string (`$argon2id$v=19$...`) to store. Never log it or send it anywhere. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** True when `password` matches `passwordHash`; false also for a hash that does not parse. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** A hash of a random password, made on first use with the same algorithm and cost. */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummyHash;
}

/**
 * Spends what a real verification costs, for a login naming an unknown email: without it
 * the fast answer would tell an attacker which emails have accounts. `verify` is for tests.
 */
export async function verifyDummyPassword(
  password: string,
  verify: (passwordHash: string, password: string) => Promise<boolean> = verifyPassword,
): Promise<void> {
  await verify(await dummyPasswordHash(), password);
}
