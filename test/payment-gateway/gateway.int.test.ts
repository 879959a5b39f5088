import * as E from 'fp-ts/Either';
import request from 'supertest';
import {
  createPaymentGateway,
  gatewayOptionsFromEnv,
  seededRandom,
  TEST_CARDS,
  type GatewayOptions,
} from '../../src/payment-gateway';
import { aroundQuery } from '../support/pool-proxy';
import { gatewayBooks } from './books';

const NOW = new Date('2030-06-15T12:00:00Z');
const OTHER_CARD = '5555555555554444';

const books = gatewayBooks();

function gatewayWith(options: GatewayOptions = {}, pool = books.pool()) {
  const gateway = createPaymentGateway(pool, { now: () => NOW, ...options });
  const http = request(gateway.app.callback());
  const tokenFor = async (card_number: string): Promise<string> => {
    const res = await http
      .post('/v1/tokens')
      .send({ card_number, exp_month: 12, exp_year: 2031, cvc: '123' })
      .expect(201);
    return (res.body as { token: string }).token;
  };
  const charge = (token: string, idempotency_key: string, amount = 1999) =>
    http.post('/v1/charges').send({ amount, currency: 'EUR', token, idempotency_key });
  return { gateway, http, tokenFor, charge };
}

type Body = Record<string, unknown> & {
  error?: { code: string };
  errors?: Array<{ field: string }>;
};
const bodyOf = (res: { body: unknown }) => res.body as Body;
const fieldsOf = (res: { body: unknown }) => (bodyOf(res).errors ?? []).map((e) => e.field).sort();

describe('payment gateway: tokens', () => {
  it('tokenizes a valid card into brand and last four, without the number', async () => {
    const { http } = gatewayWith();
    const res = await http
      .post('/v1/tokens')
      .send({ card_number: '4242 4242 4242 4242', exp_month: 6, exp_year: 2030, cvc: '0123' })
      .expect(201);
    expect(bodyOf(res)).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(bodyOf(res).token).toMatch(/^tok_/);
    expect(JSON.stringify(res.body)).not.toContain(TEST_CARDS.succeeds);
  });

  it('names every bad field: Luhn, month, cvc, missing year', async () => {
    const { http } = gatewayWith();
    const res = await http
      .post('/v1/tokens')
      .send({ card_number: '4242424242424241', exp_month: 13, cvc: '12' })
      .expect(400);
    expect(fieldsOf(res)).toEqual([
      'body.card_number',
      'body.cvc',
      'body.exp_month',
      'body.exp_year',
    ]);
  });

  it.each([
    [{ exp_month: 5, exp_year: 2030 }, 'body.exp_month'],
    [{ exp_month: 12, exp_year: 2029 }, 'body.exp_year'],
    [{ exp_month: 12, exp_year: 29 }, 'body.exp_year'],
  ])('refuses an expired card %j, naming %s', async (expiry, field) => {
    const { http } = gatewayWith();
    const res = await http
      .post('/v1/tokens')
      .send({ card_number: TEST_CARDS.succeeds, cvc: '123', ...expiry })
      .expect(400);
    expect(fieldsOf(res)).toEqual([field]);
  });

  it('accepts a card that expires this month (two-digit year too)', async () => {
    const { http } = gatewayWith();
    await http
      .post('/v1/tokens')
      .send({ card_number: TEST_CARDS.succeeds, exp_month: 6, exp_year: 30, cvc: '123' })
      .expect(201);
  });
});

describe('payment gateway: test cards', () => {
  it('captures 4242424242424242', async () => {
    const { gateway, tokenFor, charge } = gatewayWith();
    const res = await charge(await tokenFor(TEST_CARDS.succeeds), 'order-1').expect(201);
    expect(bodyOf(res)).toMatchObject({ status: 'captured', amount: 1999, currency: 'EUR' });
    expect(await gateway.ledger.capturesFor('order-1')).toHaveLength(1);
  });

  it.each([
    [TEST_CARDS.declined, 'card_declined'],
    [TEST_CARDS.insufficientFunds, 'insufficient_funds'],
  ])('declines %s with 402 %s, every time', async (card, code) => {
    const { gateway, tokenFor, charge } = gatewayWith();
    const token = await tokenFor(card);
    const res = await charge(token, 'order-1').expect(402);
    expect(bodyOf(res).error?.code).toBe(code);
    expect(res.type).toBe('application/problem+json');
    expect(bodyOf(await charge(token, 'order-2').expect(402)).error?.code).toBe(code);
    expect((await gateway.ledger.entries()).map((e) => e.status)).toEqual(['declined', 'declined']);
  });

  it('fails 4000000000000119 with a gateway error on every attempt, settling nothing', async () => {
    const { gateway, tokenFor, charge } = gatewayWith();
    const token = await tokenFor(TEST_CARDS.gatewayError);
    for (let i = 0; i < 3; i++) {
      const res = await charge(token, 'order-1').expect(502);
      expect(bodyOf(res).error?.code).toBe('gateway_error');
    }
    expect(await gateway.ledger.entries()).toEqual([]);
  });

  it('refuses a token it never issued, naming the field', async () => {
    const { charge } = gatewayWith();
    const res = await charge('tok_ok_visa_4242_0000', 'order-1').expect(400);
    expect(fieldsOf(res)).toEqual(['body.token']);
  });

  it('names the bad fields of a charge', async () => {
    const { http } = gatewayWith();
    const res = await http
      .post('/v1/charges')
      .send({ amount: 10.5, currency: 'euro', token: 'tok' })
      .expect(400);
    expect(fieldsOf(res)).toEqual(['body.amount', 'body.currency', 'body.idempotency_key']);
  });
});

describe('payment gateway: idempotency', () => {
  it('answers the same key and body with the same charge, booked once', async () => {
    const { gateway, tokenFor, charge } = gatewayWith();
    const token = await tokenFor(TEST_CARDS.succeeds);
    const first = await charge(token, 'order-1').expect(201);
    const second = await charge(token, 'order-1').expect(201);
    expect(second.body).toEqual(first.body);
    expect(await gateway.ledger.entries()).toHaveLength(1);
  });

  it('replays a decline too, without asking the issuer again', async () => {
    const { gateway, tokenFor, charge } = gatewayWith({
      failureRate: 0.5,
      random: seededRandom(7),
    });
    const token = await tokenFor(OTHER_CARD);
    const first = await charge(token, 'order-1');
    for (let i = 0; i < 5; i++) expect((await charge(token, 'order-1')).body).toEqual(first.body);
    expect(await gateway.ledger.entries()).toHaveLength(1);
  });

  it('refuses the same key with another body with 409', async () => {
    const { gateway, tokenFor, charge } = gatewayWith();
    const token = await tokenFor(TEST_CARDS.succeeds);
    await charge(token, 'order-1', 1000).expect(201);
    const res = await charge(token, 'order-1', 2000).expect(409);
    expect(bodyOf(res).error?.code).toBe('idempotency_key_reused');
    expect(await gateway.ledger.entries()).toHaveLength(1);
  });

  it('books a new charge in one statement; looks the key up first only under a latency', async () => {
    const sent: string[] = [];
    const counting = aroundQuery(books.pool(), (args, query) => {
      const [config] = args as [{ name?: string }];
      sent.push(config.name ?? 'unnamed');
      return query(...args);
    });
    const plain = gatewayWith({}, counting);
    const token = await plain.tokenFor(TEST_CARDS.succeeds);
    await plain.charge(token, 'order-1').expect(201);
    expect(sent).toEqual(['gateway_ledger_charges']);
    await plain.charge(token, 'order-1').expect(201); // a repeat: the key is taken, then found
    expect(sent.slice(1)).toEqual(['gateway_ledger_charges', 'gateway_ledger_find']);

    sent.length = 0;
    const slow = gatewayWith({ latencyMs: 1 }, counting);
    await slow.charge(token, 'order-2').expect(201);
    expect(sent).toEqual(['gateway_ledger_find', 'gateway_ledger_charges']);
    await slow.charge(token, 'order-2').expect(201); // a repeat is answered by the lookup
    expect(sent.slice(2)).toEqual(['gateway_ledger_find']);
  });

  it('charges once when requests with one key race', async () => {
    const { gateway, tokenFor, charge } = gatewayWith({ latencyMs: 20 });
    const token = await tokenFor(TEST_CARDS.succeeds);
    const answers = await Promise.all(Array.from({ length: 10 }, () => charge(token, 'order-1')));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => bodyOf(a).id)).size).toBe(1);
    expect(await gateway.ledger.capturesFor('order-1')).toHaveLength(1);
  });
});

describe('payment gateway: books that outlive the process', () => {
  it('answers a key settled before a restart with what it settled, charging nothing more', async () => {
    const before = gatewayWith();
    const token = await before.tokenFor(TEST_CARDS.succeeds);
    const first = await before.charge(token, 'order-1').expect(201);
    const declinedToken = await before.tokenFor(TEST_CARDS.declined);
    const declined = await before.charge(declinedToken, 'order-2');

    // A new gateway over the same books: what a restarted process finds.
    const after = gatewayWith();
    expect((await after.charge(token, 'order-1').expect(201)).body).toEqual(first.body);
    expect((await after.charge(token, 'order-1', 5).expect(409)).body).toMatchObject({
      error: { code: 'idempotency_key_reused' },
    });
    expect((await after.charge(declinedToken, 'order-2')).body).toEqual(declined.body);
    const refund = await after.http
      .post('/v1/refunds')
      .send({ charge_id: bodyOf(first).id, idempotency_key: 'r-1' })
      .expect(201);
    expect(bodyOf(refund)).toMatchObject({ amount: 1999, charge_id: bodyOf(first).id });
    expect((await after.gateway.ledger.entries()).map((e) => [e.kind, e.idempotency_key])).toEqual([
      ['charge', 'order-1'],
      ['charge', 'order-2'],
      ['refund', 'r-1'],
    ]);
  });

  it('charges once when requests with one key race on two gateways', async () => {
    const [one, two] = [gatewayWith({ latencyMs: 20 }), gatewayWith({ latencyMs: 20 })];
    const token = await one.tokenFor(TEST_CARDS.succeeds);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).charge(token, 'order-1')),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => bodyOf(a).id)).size).toBe(1);
    expect(await one.gateway.ledger.capturesFor('order-1')).toHaveLength(1);
  });

  it('never refunds more than was captured when refunds of one charge race', async () => {
    const { gateway, http, tokenFor, charge } = gatewayWith();
    const captured = await charge(await tokenFor(TEST_CARDS.succeeds), 'order-1', 1000);
    const charge_id = bodyOf(captured).id;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        http.post('/v1/refunds').send({ charge_id, amount: 300, idempotency_key: `r-${i}` }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 400)).toHaveLength(5);
    expect(await gateway.ledger.refundedAmount(String(charge_id))).toBe(900);
  });
});

describe('payment gateway: rates', () => {
  let runs = 0;
  const outcomes = async (options: GatewayOptions, count = 20) => {
    const { tokenFor, charge } = gatewayWith(options);
    const token = await tokenFor(OTHER_CARD);
    const statuses: number[] = [];
    const run = ++runs; // the books outlive a gateway: every run charges keys of its own
    for (let i = 0; i < count; i++) {
      statuses.push((await charge(token, `order-${run}-${i}`)).status);
    }
    return statuses;
  };

  it('declines every other card at failureRate 1 and none at 0', async () => {
    expect(await outcomes({ failureRate: 1, random: seededRandom(1) })).toEqual(
      Array(20).fill(402),
    );
    expect(await outcomes({ failureRate: 0, random: seededRandom(1) })).toEqual(
      Array(20).fill(201),
    );
  });

  it('mixes outcomes at failureRate 0.5, the same for the same seed', async () => {
    const run = await outcomes({ failureRate: 0.5, random: seededRandom(42) });
    expect(run).toEqual(expect.arrayContaining([201, 402]));
    expect(await outcomes({ failureRate: 0.5, random: seededRandom(42) })).toEqual(run);
  });

  it('answers gateway errors at errorRate 1, settling nothing', async () => {
    expect(await outcomes({ errorRate: 1, random: seededRandom(3) }, 3)).toEqual([503, 503, 503]);
  });

  it('keeps the test cards out of the rates', async () => {
    const { tokenFor, charge } = gatewayWith({ failureRate: 1, errorRate: 1 });
    await charge(await tokenFor(TEST_CARDS.succeeds), 'order-1').expect(201);
  });

  it('fails the first transientFailures attempts of each key, then settles', async () => {
    const { gateway, tokenFor, charge } = gatewayWith({ transientFailures: 2 });
    const token = await tokenFor(TEST_CARDS.succeeds);
    await charge(token, 'order-1').expect(503);
    await charge(token, 'order-1').expect(503);
    await charge(token, 'order-1').expect(201);
    await charge(token, 'order-2').expect(503);
    expect(await gateway.ledger.entries()).toHaveLength(1);
  });
});

describe('payment gateway: refunds and ledger', () => {
  it('refunds a capture once per key, never more than was captured', async () => {
    const { gateway, http, tokenFor, charge } = gatewayWith();
    const captured = await charge(await tokenFor(TEST_CARDS.succeeds), 'order-1', 1000);
    const charge_id = bodyOf(captured).id;
    const refund = (body: object) => http.post('/v1/refunds').send({ charge_id, ...body });

    const first = await refund({ amount: 400, idempotency_key: 'r-1' }).expect(201);
    expect(bodyOf(first)).toMatchObject({ status: 'succeeded', amount: 400, charge_id });
    expect((await refund({ amount: 400, idempotency_key: 'r-1' }).expect(201)).body).toEqual(
      first.body,
    );
    await refund({ amount: 500, idempotency_key: 'r-1' }).expect(409);
    const tooMuch = await refund({ amount: 601, idempotency_key: 'r-2' }).expect(400);
    expect(bodyOf(tooMuch).error?.code).toBe('amount_too_large');
    const rest = await refund({ idempotency_key: 'r-3' }).expect(201);
    expect(bodyOf(rest).amount).toBe(600);
    const again = await refund({ idempotency_key: 'r-4' }).expect(400);
    expect(bodyOf(again).error?.code).toBe('charge_already_refunded');

    const res = await http.get('/v1/ledger').expect(200);
    const entries = (res.body as { entries: Array<Record<string, unknown>> }).entries;
    expect(entries.map((e) => [e.kind, e.idempotency_key, e.amount])).toEqual([
      ['charge', 'order-1', 1000],
      ['refund', 'r-1', 400],
      ['refund', 'r-3', 600],
    ]);
    expect(await gateway.ledger.refundedAmount(String(charge_id))).toBe(1000);
  });

  it('refuses to refund an unknown or a declined charge', async () => {
    const { gateway, http, tokenFor, charge } = gatewayWith();
    const declined = await charge(await tokenFor(TEST_CARDS.declined), 'order-1');
    const unknown = await http
      .post('/v1/refunds')
      .send({ charge_id: 'ch_nope', idempotency_key: 'r-1' })
      .expect(404);
    expect(bodyOf(unknown).error?.code).toBe('charge_not_found');
    expect(declined.status).toBe(402);
    const [booked] = await gateway.ledger.entries();
    expect(booked).toMatchObject({ kind: 'charge', status: 'declined' });
    const notCaptured = await http
      .post('/v1/refunds')
      .send({ charge_id: booked!.id, idempotency_key: 'r-2' })
      .expect(400);
    expect(bodyOf(notCaptured).error?.code).toBe('charge_not_captured');
  });

  it('lists its books in pages, oldest first, all of them or one key', async () => {
    const { http, tokenFor, charge } = gatewayWith();
    const token = await tokenFor(TEST_CARDS.succeeds);
    for (let i = 1; i <= 5; i++) await charge(token, `order-${i}`, 100 * i).expect(201);
    const keysOf = (res: { body: unknown }) =>
      (res.body as { entries: Array<{ idempotency_key: string }> }).entries.map(
        (e) => e.idempotency_key,
      );

    const pages: string[][] = [];
    let after: string | null = '0';
    while (after !== null) {
      const res = await http.get('/v1/ledger').query({ limit: 2, after }).expect(200);
      pages.push(keysOf(res));
      after = bodyOf(res).next_cursor as string | null;
    }
    expect(pages).toEqual([['order-1', 'order-2'], ['order-3', 'order-4'], ['order-5']]);

    const whole = await http.get('/v1/ledger').expect(200);
    expect(keysOf(whole)).toEqual(['order-1', 'order-2', 'order-3', 'order-4', 'order-5']);
    expect(bodyOf(whole).next_cursor).toBeNull();
    const one = await http.get('/v1/ledger').query({ idempotency_key: 'order-4' }).expect(200);
    expect(bodyOf(one).entries).toEqual([expect.objectContaining({ amount: 400 })]);
  });

  it('names the bad fields of a ledger query', async () => {
    const { http } = gatewayWith();
    const res = await http.get('/v1/ledger').query({ limit: 1001, after: 'x' }).expect(400);
    expect(fieldsOf(res)).toEqual(['query.after', 'query.limit']);
  });

  it('keeps no card number anywhere in its books', async () => {
    const { http, tokenFor, charge } = gatewayWith();
    await charge(await tokenFor(TEST_CARDS.succeeds), 'order-1').expect(201);
    const ledger = await http.get('/v1/ledger').expect(200);
    expect(JSON.stringify(ledger.body)).not.toContain(TEST_CARDS.succeeds);
    expect(JSON.stringify(ledger.body)).toContain('"last4":"4242"');
  });

  it('answers /health and a problem for an unknown path', async () => {
    const { http } = gatewayWith();
    await http.get('/health').expect(200, { status: 'ok' });
    const res = await http.get('/v1/nothing').expect(404);
    expect(res.type).toBe('application/problem+json');
  });
});

describe('gatewayOptionsFromEnv', () => {
  it('defaults every setting', () => {
    expect(gatewayOptionsFromEnv({})).toEqual(
      E.right({
        failureRate: 0,
        timeoutRate: 0,
        errorRate: 0,
        latencyMs: 0,
        timeoutHoldMs: 30_000,
        port: 3100,
      }),
    );
  });

  it('reads the rates and latency', () => {
    const read = gatewayOptionsFromEnv({
      PAYMENT_FAILURE_RATE: '0.25',
      PAYMENT_TIMEOUT_RATE: '1',
      PAYMENT_LATENCY_MS: '150',
      PAYMENT_GATEWAY_PORT: '',
    });
    expect(read).toEqual(
      E.right(expect.objectContaining({ failureRate: 0.25, timeoutRate: 1, latencyMs: 150 })),
    );
  });

  it('names each bad variable', () => {
    const read = gatewayOptionsFromEnv({ PAYMENT_FAILURE_RATE: '1.5', PAYMENT_LATENCY_MS: '-1' });
    expect(E.isLeft(read) && read.left.map((line) => line.split(':')[0])).toEqual([
      'PAYMENT_FAILURE_RATE',
      'PAYMENT_LATENCY_MS',
    ]);
  });
});
