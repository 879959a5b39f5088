import request from 'supertest';
import {
  anyString,
  identityHarness,
  loginAs,
  registerUser,
  V1,
  type IdentityHarness,
  type TokenPairBody,
} from './harness';

let h: IdentityHarness;
beforeAll(async () => {
  h = await identityHarness();
});
afterAll(() => h.close());

const refresh = (token: string) =>
  request(h.app.callback()).post(`${V1}/auth/refresh`).send({ refresh_token: token });

describe('POST /auth/refresh', () => {
  it('rotates: each refresh gives a new pair, and the old refresh token stops working', async () => {
    const user = await registerUser(h.app);
    const first = await loginAs(h.app, user);

    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.headers['cache-control']).toBe('no-store');
    const pair = second.body as TokenPairBody;
    expect(pair).toEqual({
      access_token: anyString(),
      refresh_token: anyString(),
      token_type: 'bearer',
      expires_in: 900,
    });
    expect(pair.refresh_token).not.toBe(first.refresh_token);
    await expect(h.tokens.verifyAccess(pair.access_token)).resolves.toEqual({
      id: user.id,
      email: user.email,
      role: 'customer',
    });

    const third = await refresh(pair.refresh_token);
    expect(third.status).toBe(200);
  });

  it('revokes the whole family when a used refresh token comes back', async () => {
    const user = await registerUser(h.app);
    const login = await loginAs(h.app, user);
    const r2 = ((await refresh(login.refresh_token)).body as TokenPairBody).refresh_token;
    const r3 = ((await refresh(r2)).body as TokenPairBody).refresh_token;

    // The stolen first token is replayed: refused, and the family is revoked...
    const replay = await refresh(login.refresh_token);
    expect(replay.status).toBe(401);
    expect(replay.type).toBe('application/problem+json');
    expect(replay.body).toMatchObject({ code: 'invalid_refresh_token' });
    expect((replay.body as { detail: string }).detail).toMatch(/already used/);

    // ...so the newest token of it, never used, is refused too, now and later.
    expect((await refresh(r3)).status).toBe(401);
    expect((await refresh(r3)).status).toBe(401);
    const { rows } = await h.pool.query<{ live: string }>(
      `SELECT count(*) FILTER (WHERE revoked_at IS NULL) AS live FROM refresh_tokens
       WHERE user_id = $1`,
      [user.id],
    );
    expect(rows[0]?.live).toBe('0');

    // Another login starts a new family, unaffected.
    const again = await loginAs(h.app, user);
    expect((await refresh(again.refresh_token)).status).toBe(200);
  });

  it('treats two concurrent uses of one token as a reuse', async () => {
    const user = await registerUser(h.app);
    const login = await loginAs(h.app, user);
    const results = await Promise.all([refresh(login.refresh_token), refresh(login.refresh_token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    const winner = results.find((r) => r.status === 200)?.body as TokenPairBody;
    expect((await refresh(winner.refresh_token)).status).toBe(401);
  });

  it('leaves other families of the same user alone', async () => {
    const user = await registerUser(h.app);
    const phone = await loginAs(h.app, user);
    const laptop = await loginAs(h.app, user);
    await refresh(phone.refresh_token);
    expect((await refresh(phone.refresh_token)).status).toBe(401); // reuse: phone family gone
    expect((await refresh(laptop.refresh_token)).status).toBe(200);
  });

  it('refuses an access token, a forged token and garbage with 401', async () => {
    const pair = await loginAs(h.app, await registerUser(h.app));
    for (const token of [pair.access_token, `${pair.refresh_token}x`, 'garbage']) {
      const res = await refresh(token);
      expect(res.status).toBe(401);
    }
  });

  it('refuses a validly signed refresh token it never issued', async () => {
    const { token } = await h.tokens.signRefresh({
      jti: '00000000-0000-4000-8000-00000000beef',
      family: '00000000-0000-4000-8000-00000000f00d',
    });
    expect((await refresh(token)).status).toBe(401);
  });

  it('refuses an expired refresh token', async () => {
    const user = await registerUser(h.app);
    const pair = await loginAs(h.app, user);
    await h.pool.query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    const res = await refresh(pair.refresh_token);
    expect(res.status).toBe(401);
    expect((res.body as { detail: string }).detail).toMatch(/expired/);
  });

  it('carries a role changed since login into the refreshed access token', async () => {
    const user = await registerUser(h.app);
    const pair = await loginAs(h.app, user);
    await h.pool.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [user.id]);
    const res = await refresh(pair.refresh_token);
    const access = (res.body as TokenPairBody).access_token;
    await expect(h.tokens.verifyAccess(access)).resolves.toMatchObject({ role: 'admin' });
  });

  it('is 400 naming body.refresh_token when it is missing', async () => {
    const res = await request(h.app.callback()).post(`${V1}/auth/refresh`).send({});
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errors: [{ field: 'body.refresh_token' }] });
  });
});
