import {
  dummyPasswordHash,
  hashPassword,
  verifyDummyPassword,
  verifyPassword,
} from '../../src/identity/passwords';

describe('passwords', () => {
  it('hashes with argon2id, salted: the same password gives two hashes', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse battery');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery');
    await expect(verifyPassword(hash, 'correct horse battery')).resolves.toBe(true);
    await expect(verifyPassword(hash, 'Correct horse battery')).resolves.toBe(false);
  });

  it('answers false, not an exception, for a stored value that is no hash', async () => {
    await expect(verifyPassword('not-a-hash', 'anything')).resolves.toBe(false);
  });

  it('spends a full verification on a dummy hash of the same cost for unknown accounts', async () => {
    // Compared by structure, not by the clock: the parameters travel in the PHC string.
    const params = (phc: string) => phc.split('$').slice(1, 4).join('$');
    const dummy = await dummyPasswordHash();
    expect(params(dummy)).toBe(params(await hashPassword('calibration')));
    expect(params(dummy)).toBe('argon2id$v=19$m=19456,t=2,p=1');
    const calls: Array<[string, string]> = [];
    await verifyDummyPassword('wrong password', (hash, password) => {
      calls.push([hash, password]);
      return verifyPassword(hash, password);
    });
    expect(calls).toEqual([[dummy, 'wrong password']]);
    // The real verification runs, and the dummy's password is none anyone could send.
    await expect(verifyPassword(dummy, 'wrong password')).resolves.toBe(false);
  });
});
