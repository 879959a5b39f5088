import { SignJWT } from 'jose';
import { createTokenService, InvalidToken, type TokenService } from '../../src/identity/tokens';

const SECRET = 'unit-test-secret-with-more-than-32-characters';
const user = {
  id: '7f6d2c1e-4b7a-4c1d-9e2f-0a1b2c3d4e5f',
  email: 'ada@example.com',
  role: 'customer' as const,
};
const ids = {
  jti: '0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d',
  family: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
};

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** An unsecured JWT (`alg: none`) written by hand, as an attacker would. */
function unsecured(payload: Record<string, unknown>): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

const accessClaims = () => ({
  typ: 'access',
  sub: user.id,
  email: user.email,
  role: 'admin',
  iss: 'orderflow',
  iat: nowSeconds(),
  exp: nowSeconds() + 900,
});

async function expectInvalid(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(InvalidToken);
}

describe('token service', () => {
  const tokens: TokenService = createTokenService(SECRET);

  it('round-trips an access token to the user it names', async () => {
    const token = await tokens.signAccess(user);
    await expect(tokens.verifyAccess(token)).resolves.toEqual(user);
  });

  it('round-trips a refresh token to its jti and family, expiring in 7 days', async () => {
    const { token, expiresAt } = await tokens.signRefresh(ids);
    const claims = await tokens.verifyRefresh(token);
    expect(claims).toEqual({ ...ids, expiresAt });
    const days = (expiresAt.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);
  });

  it('gives access tokens 15 minutes', async () => {
    const token = await tokens.signAccess(user);
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      iat: number;
      exp: number;
      typ: string;
    };
    expect(payload.exp - payload.iat).toBe(900);
    expect(payload.typ).toBe('access');
  });

  it('refuses a refresh token as an access token, and the other way round', async () => {
    const refresh = (await tokens.signRefresh(ids)).token;
    const access = await tokens.signAccess(user);
    await expectInvalid(tokens.verifyAccess(refresh));
    await expectInvalid(tokens.verifyRefresh(access));
  });

  it('goes by the typ claim: other claims do not turn one kind into the other', async () => {
    const key = new TextEncoder().encode(SECRET);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ ...accessClaims(), ...ids, ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(key);
    // Both kinds' claims in one token: only its typ decides what it is.
    await expect(tokens.verifyAccess(await sign({ typ: 'access' }))).resolves.toBeDefined();
    await expect(tokens.verifyRefresh(await sign({ typ: 'refresh' }))).resolves.toBeDefined();
    await expectInvalid(tokens.verifyAccess(await sign({ typ: 'refresh' })));
    await expectInvalid(tokens.verifyRefresh(await sign({ typ: 'access' })));
    await expectInvalid(tokens.verifyAccess(await sign({ typ: undefined })));
  });

  it('refuses a token signed with another secret (forged)', async () => {
    const forger = createTokenService('another-secret-that-is-also-long-enough!!');
    await expectInvalid(tokens.verifyAccess(await forger.signAccess(user)));
    await expectInvalid(tokens.verifyRefresh((await forger.signRefresh(ids)).token));
  });

  it('refuses an expired token', async () => {
    const past = createTokenService(SECRET, { now: () => new Date(Date.now() - 16 * 60_000) });
    const token = await past.signAccess(user);
    await expect(past.verifyAccess(token)).resolves.toEqual(user); // valid back then
    await expectInvalid(tokens.verifyAccess(token));
  });

  it('keeps refusing a token once it expires, though it was verified before', async () => {
    let clock = Date.now();
    const moving = createTokenService(SECRET, { now: () => new Date(clock) });
    const token = await moving.signAccess(user);
    await expect(moving.verifyAccess(token)).resolves.toEqual(user);
    await expect(moving.verifyAccess(token)).resolves.toEqual(user); // remembered
    clock += 15 * 60_000 + 1_000;
    await expectInvalid(moving.verifyAccess(token));
  });

  it('verifies a changed token afresh: a verified one vouches for no other text', async () => {
    const token = await tokens.signAccess(user);
    await expect(tokens.verifyAccess(token)).resolves.toEqual(user);
    const [header, payload, signature] = token.split('.');
    const admin = b64({
      ...JSON.parse(Buffer.from(payload!, 'base64url').toString()),
      role: 'admin',
    });
    await expectInvalid(tokens.verifyAccess(`${header}.${admin}.${signature}`));
  });

  it('refuses an alg:none token written by hand', async () => {
    await expectInvalid(tokens.verifyAccess(unsecured(accessClaims())));
    await expectInvalid(
      tokens.verifyRefresh(
        unsecured({
          typ: 'refresh',
          ...ids,
          iss: 'orderflow',
          iat: nowSeconds(),
          exp: nowSeconds() + 60,
        }),
      ),
    );
  });

  it('refuses HS512 even with the right secret: the algorithm is pinned', async () => {
    const key = new TextEncoder().encode(SECRET);
    const sign = (alg: string) =>
      new SignJWT(accessClaims()).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
    // The same claims signed HS256 pass: only the algorithm differs.
    await expect(tokens.verifyAccess(await sign('HS256'))).resolves.toMatchObject({
      role: 'admin',
    });
    await expectInvalid(tokens.verifyAccess(await sign('HS512')));
  });

  it('refuses a token whose payload was edited after signing', async () => {
    const [header, , signature] = (await tokens.signAccess(user)).split('.');
    const edited = `${header}.${b64({ ...accessClaims(), role: 'admin' })}.${signature}`;
    await expectInvalid(tokens.verifyAccess(edited));
  });

  it('refuses a token from another issuer, one without exp, and garbage', async () => {
    const key = new TextEncoder().encode(SECRET);
    const claims = accessClaims();
    const otherIssuer = await new SignJWT({ ...claims, iss: 'someone-else' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(key);
    const { exp: _exp, ...noExpiry } = claims;
    const forever = await new SignJWT(noExpiry).setProtectedHeader({ alg: 'HS256' }).sign(key);
    await expectInvalid(tokens.verifyAccess(otherIssuer));
    await expectInvalid(tokens.verifyAccess(forever));
    await expectInvalid(tokens.verifyAccess('not.a.jwt'));
    await expectInvalid(tokens.verifyAccess(''));
  });

  it('refuses claims of the wrong shape (a sub that is no UUID, an unknown role)', async () => {
    const key = new TextEncoder().encode(SECRET);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ ...accessClaims(), ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    await expectInvalid(tokens.verifyAccess(await sign({ sub: "1' OR 1=1 --" })));
    await expectInvalid(tokens.verifyAccess(await sign({ role: 'root' })));
  });

  it('will not sign with a short secret', () => {
    expect(() => createTokenService('too-short')).toThrow(/at least 32/);
  });
});
