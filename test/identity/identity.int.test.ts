import { Pool } from 'pg';
import request from 'supertest';
import { insertUser } from '../../src/identity/users';
import {
  anyString,
  identityHarness,
  loginAs,
  matching,
  registerUser,
  uniqueEmail,
  V1,
  type IdentityHarness,
  type TokenPairBody,
} from './harness';

let h: IdentityHarness;
beforeAll(async () => {
  h = await identityHarness();
});
afterAll(() => h.close());
beforeEach(() => h.pool.query('DELETE FROM login_attempts'));

const http = () => request(h.app.callback());
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the seed walkthrough: register, login, me, address', () => {
  const email = uniqueEmail('walk');
  const password = 's3cret-passphrase';
  const responses: string[] = [];
  const keep = (res: request.Response) => {
    responses.push(res.text);
    return res;
  };
  let tokens: TokenPairBody;

  it('registers a customer: 201 with the user, no password in sight', async () => {
    const res = keep(
      await http().post(`${V1}/auth/register`).send({
        email,
        password,
        first_name: 'Grace',
        last_name: 'Hopper',
        phone: '+1 555 0100',
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: matching(UUID),
      email,
      first_name: 'Grace',
      last_name: 'Hopper',
      phone: '+1 555 0100',
      role: 'customer',
      created_at: matching(ISO),
    });
  });

  it('logs in with JSON {email, password}', async () => {
    const res = keep(await http().post(`${V1}/auth/login`).send({ email, password }));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      access_token: anyString(),
      refresh_token: anyString(),
      token_type: 'bearer',
      expires_in: 900,
    });
    tokens = res.body as TokenPairBody;
  });

  it('logs in with a form username + password, the email in another case', async () => {
    const res = keep(
      await http()
        .post(`${V1}/auth/login`)
        .type('form')
        .send({ username: email.toUpperCase(), password }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'bearer' });
  });

  it('GET /users/me answers the profile with no addresses yet', async () => {
    const res = keep(
      await http().get(`${V1}/users/me`).set('Authorization', `Bearer ${tokens.access_token}`),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ email, first_name: 'Grace', role: 'customer' });
    expect(res.body).toHaveProperty('addresses', []);
  });

  it('adds a default address (201), and me shows it', async () => {
    const address = {
      line1: '1 Main St',
      city: 'Springfield',
      state: 'IL',
      postal_code: '62701',
      country: 'US',
      is_default: true,
    };
    const added = keep(
      await http()
        .post(`${V1}/users/me/addresses`)
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .send(address),
    );
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      id: matching(UUID),
      ...address,
      line2: null,
      created_at: matching(ISO),
    });

    const me = keep(
      await http().get(`${V1}/users/me`).set('Authorization', `Bearer ${tokens.access_token}`),
    );
    expect(me.body).toHaveProperty('addresses', [added.body]);
  });

  it('a new default address clears the old default', async () => {
    const auth = `Bearer ${tokens.access_token}`;
    const second = keep(
      await http().post(`${V1}/users/me/addresses`).set('Authorization', auth).send({
        line1: '2 Elm St',
        line2: 'Apt 4',
        city: 'Shelbyville',
        state: 'IL',
        postal_code: '62565',
        country: 'US',
        is_default: true,
      }),
    );
    expect(second.status).toBe(201);
    const me = keep(await http().get(`${V1}/users/me`).set('Authorization', auth));
    const addresses = (me.body as { addresses: Array<{ line1: string; is_default: boolean }> })
      .addresses;
    expect(addresses.map((a) => [a.line1, a.is_default])).toEqual([
      ['1 Main St', false],
      ['2 Elm St', true],
    ]);
  });

  it('never shows the password or its hash in any response or log line', async () => {
    const { rows } = await h.pool.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE email = $1',
      [email],
    );
    const hash = rows[0]?.password_hash ?? '';
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(responses.length).toBeGreaterThanOrEqual(7);
    const logs = h.logLines.map((line) => JSON.stringify(line));
    expect(logs.length).toBeGreaterThan(0);
    for (const text of [...responses, ...logs]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(hash);
      expect(text).not.toContain('$argon2');
      expect(text).not.toContain('password_hash');
    }
  });
});

describe('POST /auth/register', () => {
  it('refuses an email taken in another letter case: 409 email_taken', async () => {
    const email = uniqueEmail('taken');
    await registerUser(h.app, { email });
    const res = await http().post(`${V1}/auth/register`).send({
      email: email.toUpperCase(),
      password: 'another-password',
      first_name: 'B',
      last_name: 'C',
    });
    expect(res.status).toBe(409);
    expect(res.type).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 409, code: 'email_taken' });
    const { rows } = await h.pool.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [
      email,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('keeps its database connection when the email is taken', async () => {
    // One connection, never closed for idling: a failed statement through pool.query would
    // close it, and the next query would come from a new server process.
    const pool = new Pool({ connectionString: h.connectionString, max: 1, idleTimeoutMillis: 0 });
    const backend = async () =>
      (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const user = {
      email: uniqueEmail('kept'),
      passwordHash: 'not-a-real-hash',
      firstName: 'A',
      lastName: 'B',
      phone: null,
      role: 'customer' as const,
    };
    try {
      expect(await insertUser(pool, user)).toMatchObject({ email: user.email });
      const before = await backend();
      expect(await insertUser(pool, { ...user, email: user.email.toUpperCase() })).toBe(
        'email_taken',
      );
      expect(await backend()).toBe(before);
    } finally {
      await pool.end();
    }
  });

  it('names body.password when it is shorter than 8 characters, and creates nothing', async () => {
    const email = uniqueEmail('short');
    const res = await http()
      .post(`${V1}/auth/register`)
      .send({ email, password: 'seven77', first_name: 'A', last_name: 'B' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      status: 400,
      errors: [{ field: 'body.password', message: anyString() }],
    });
    const { rowCount } = await h.pool.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(rowCount).toBe(0);
  });

  it('names every bad field at once', async () => {
    const res = await http()
      .post(`${V1}/auth/register`)
      .send({ email: 'not-an-email', password: 'long enough', first_name: '  ', phone: 'call me' });
    expect(res.status).toBe(400);
    const fields = (res.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(fields.sort()).toEqual([
      'body.email',
      'body.first_name',
      'body.last_name',
      'body.phone',
    ]);
  });

  it('ignores a smuggled role (and id): the account is a customer', async () => {
    const email = uniqueEmail('smuggler');
    const id = '00000000-0000-4000-8000-000000000001';
    const res = await http().post(`${V1}/auth/register`).send({
      email,
      password: 'let me in please',
      first_name: 'Mallory',
      last_name: 'M',
      role: 'admin',
      id,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ role: 'customer' });
    expect((res.body as { id: string }).id).not.toBe(id);
    const { rows } = await h.pool.query<{ role: string }>(
      'SELECT role FROM users WHERE email = $1',
      [email],
    );
    expect(rows).toEqual([{ role: 'customer' }]);
    const pair = await loginAs(h.app, { email, password: 'let me in please' });
    await expect(h.tokens.verifyAccess(pair.access_token)).resolves.toMatchObject({
      role: 'customer',
    });
  });
});

describe('POST /auth/login', () => {
  it('answers a wrong password and an unknown email with the same 401', async () => {
    const user = await registerUser(h.app);
    const wrong = await http()
      .post(`${V1}/auth/login`)
      .send({ email: user.email, password: 'not the password' });
    const unknown = await http()
      .post(`${V1}/auth/login`)
      .send({ email: uniqueEmail('nobody'), password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body).toMatchObject({ code: 'invalid_credentials' });
    expect(Object.keys(wrong.headers).sort()).toEqual(
      Object.keys(unknown.headers)
        .sort()
        .filter((k) => k in wrong.headers),
    );
  });

  it('verifies a password for an unknown email too, against a hash of the same cost', async () => {
    // Without the dummy verification an unknown email would answer many times faster and
    // tell an attacker which emails have accounts. Checked by what is verified, not by the
    // clock: the machines are shared and noisy.
    const user = await registerUser(h.app);
    // The module object itself (what src requires), not an import's namespace copy of it.
    const argon2 = jest.requireActual<typeof import('@node-rs/argon2')>('@node-rs/argon2');
    const verify = jest.spyOn(argon2, 'verify');
    try {
      const login = async (email: string) => {
        verify.mockClear();
        const res = await http().post(`${V1}/auth/login`).send({ email, password: 'wrong guess' });
        expect(res.status).toBe(401);
        expect(verify).toHaveBeenCalledTimes(1);
        const [hash, password] = verify.mock.calls[0]!;
        expect(password).toBe('wrong guess');
        return String(hash);
      };
      const cost = (hash: string) => hash.split('$').slice(1, 4).join('$'); // id, version, m/t/p
      const real = await login(user.email);
      const dummy = await login(uniqueEmail('unknown'));
      expect(cost(real)).toMatch(/^argon2id\$v=19\$m=\d+,t=\d+,p=\d+$/);
      expect(cost(dummy)).toBe(cost(real));
      expect(dummy).not.toBe(real);
    } finally {
      verify.mockRestore();
    }
  });

  it('needs both fields: 400 naming them', async () => {
    const res = await http().post(`${V1}/auth/login`).send({});
    expect(res.status).toBe(400);
    const fields = (res.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(fields.sort()).toEqual(['body.email', 'body.password']);
  });

  it('names the form fields for a form without them', async () => {
    const res = await http().post(`${V1}/auth/login`).type('form').send({ email: 'x@y.z' });
    expect(res.status).toBe(400);
    const fields = (res.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(fields.sort()).toEqual(['body.password', 'body.username']);
  });
});

describe('GET /users/me and addresses', () => {
  it('is 401 without a token', async () => {
    expect((await http().get(`${V1}/users/me`)).status).toBe(401);
    expect((await http().post(`${V1}/users/me/addresses`).send({})).status).toBe(401);
  });

  it('is 401 with a refresh token in place of the access token', async () => {
    const pair = await loginAs(h.app, await registerUser(h.app));
    const res = await http()
      .get(`${V1}/users/me`)
      .set('Authorization', `Bearer ${pair.refresh_token}`);
    expect(res.status).toBe(401);
  });

  it('is 401 once the account is gone, though the token is still in date', async () => {
    const user = await registerUser(h.app);
    const pair = await loginAs(h.app, user);
    await h.pool.query('DELETE FROM users WHERE id = $1', [user.id]);
    const res = await http()
      .get(`${V1}/users/me`)
      .set('Authorization', `Bearer ${pair.access_token}`);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'account_not_found' });
  });

  it('refuses a bad address naming each field, and stores nothing', async () => {
    const user = await registerUser(h.app);
    const pair = await loginAs(h.app, user);
    const res = await http()
      .post(`${V1}/users/me/addresses`)
      .set('Authorization', `Bearer ${pair.access_token}`)
      .send({ line1: '', city: 'X', postal_code: 12345, country: 'US', is_default: 'yes' });
    expect(res.status).toBe(400);
    const fields = (res.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(fields.sort()).toEqual([
      'body.is_default',
      'body.line1',
      'body.postal_code',
      'body.state',
    ]);
    const { rowCount } = await h.pool.query('SELECT 1 FROM addresses WHERE user_id = $1', [
      user.id,
    ]);
    expect(rowCount).toBe(0);
  });

  it('keeps one default per user when two defaults are added at once', async () => {
    const user = await registerUser(h.app);
    const pair = await loginAs(h.app, user);
    const add = (line1: string) =>
      http()
        .post(`${V1}/users/me/addresses`)
        .set('Authorization', `Bearer ${pair.access_token}`)
        .send({ line1, city: 'C', state: 'S', postal_code: 'P', country: 'US', is_default: true });
    const results = await Promise.all([add('a'), add('b'), add('c'), add('d')]);
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const { rows } = await h.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM addresses WHERE user_id = $1 AND is_default',
      [user.id],
    );
    expect(rows[0]?.n).toBe('1');
  });
});
