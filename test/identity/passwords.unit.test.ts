import { hashPassword, verifyDummyPassword, verifyPassword } from '../../src/identity/passwords';

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

  it('spends a verification on the dummy hash for unknown accounts', async () => {
    const hash = await hashPassword('calibration');
    const time = async (work: () => Promise<unknown>) => {
      const started = process.hrtime.bigint();
      await work();
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    await verifyDummyPassword('warm-up'); // the dummy hash is made on first use
    const real = await time(() => verifyPassword(hash, 'wrong password'));
    const dummy = await time(() => verifyDummyPassword('wrong password'));
    // Same algorithm and cost: within a factor of a few, never "instant".
    expect(dummy).toBeGreaterThan(real / 4);
  });
});
