import request from 'supertest';
import {
  identityHarness,
  registerUser,
  uniqueEmail,
  V1,
  type IdentityHarness,
  type Registered,
} from './harness';

let h: IdentityHarness;
beforeAll(async () => {
  h = await identityHarness();
});
afterAll(() => h.close());
beforeEach(() => h.pool.query('DELETE FROM login_attempts'));

const login = (email: string, password: string) =>
  request(h.app.callback()).post(`${V1}/auth/login`).send({ email, password });

async function failTimes(user: { email: string }, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    expect((await login(user.email, 'wrong password')).status).toBe(401);
  }
}

/** Moves every recorded failure `seconds` into the past, as if that time had gone by. */
const age = (seconds: number) =>
  h.pool.query(
    `UPDATE login_attempts SET attempted_at = attempted_at - make_interval(secs => $1)`,
    [seconds],
  );

describe('login rate limit', () => {
  let user: Registered;
  beforeEach(async () => {
    user = await registerUser(h.app);
  });

  it('answers 429 with Retry-After after 5 failures on one account, even for the right password', async () => {
    await failTimes(user, 5);
    const res = await login(user.email, user.password);
    expect(res.status).toBe(429);
    expect(res.type).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 429, code: 'too_many_login_attempts' });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(890);
    expect(retryAfter).toBeLessThanOrEqual(900);
  });

  it('counts the account in any letter case', async () => {
    await failTimes({ email: user.email.toUpperCase() }, 5);
    expect((await login(user.email, user.password)).status).toBe(429);
  });

  it('lets the account in again once the window has passed', async () => {
    await failTimes(user, 5);
    await age(15 * 60 - 10);
    const blocked = await login(user.email, user.password);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(10);
    await age(11);
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it('a successful login clears the account failures', async () => {
    await failTimes(user, 4);
    expect((await login(user.email, user.password)).status).toBe(200);
    await failTimes(user, 4);
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it('limits unknown emails the same way (no tell-tale difference)', async () => {
    const ghost = { email: uniqueEmail('ghost') };
    await failTimes(ghost, 5);
    expect((await login(ghost.email, 'whatever')).status).toBe(429);
  });

  it('answers 429 after 20 failures from one address, across accounts', async () => {
    for (let i = 0; i < 20; i += 1) {
      expect((await login(uniqueEmail('spray'), 'guess')).status).toBe(401);
    }
    const res = await login(user.email, user.password);
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // The per-account count of that user is clean: it is the address that is blocked.
    const { rows } = await h.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM login_attempts WHERE scope = 'account' AND key = $1`,
      [user.email],
    );
    expect(rows[0]?.n).toBe('0');
  });

  it('prunes failures older than the window', async () => {
    await failTimes(user, 2);
    await age(16 * 60);
    await failTimes(user, 1);
    const { rows } = await h.pool.query<{ n: string }>('SELECT count(*) AS n FROM login_attempts');
    expect(rows[0]?.n).toBe('2'); // the newest failure, once per account and once per address
  });
});
