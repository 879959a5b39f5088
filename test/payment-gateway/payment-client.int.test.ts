import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import * as E from 'fp-ts/Either';
import { createLogger } from '../../src/infra/logger';
import {
  createPaymentGateway,
  TEST_CARDS,
  type GatewayOptions,
  type PaymentGateway,
  type RunningGateway,
} from '../../src/payment-gateway';
import {
  createPaymentClient,
  paymentClientOptionsFromEnv,
  retryDelay,
  type PaymentClientOptions,
} from '../../src/processes/payment-client';
import { freePort } from '../support/free-port';
import { gatewayBooks } from './books';

const CARD = { exp_month: 12, exp_year: 2099, cvc: '123' };
const running: RunningGateway[] = [];
const books = gatewayBooks();

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

/** A gateway on 127.0.0.1 and a client whose waits are recorded instead of slept. */
async function setup(
  gatewayOptions: GatewayOptions = {},
  clientOptions: Partial<PaymentClientOptions> = {},
) {
  const gateway: PaymentGateway = createPaymentGateway(books.pool(), gatewayOptions);
  const server = await gateway.listen(0, '127.0.0.1');
  running.push(server);
  const waits: number[] = [];
  const options = {
    baseUrl: server.url,
    timeoutMs: 2_000,
    attempts: 4,
    baseDelayMs: 100,
    random: () => 0.5,
    sleep: (ms: number) => (waits.push(ms), Promise.resolve()),
    ...clientOptions,
  };
  const client = createPaymentClient(options);
  const tokenFor = async (card_number: string): Promise<string> => {
    const result = await client.tokenize({ card_number, ...CARD });
    if (result.kind !== 'tokenized') throw new Error(`tokenize: ${JSON.stringify(result)}`);
    return result.token;
  };
  return { gateway, server, client, waits, options, tokenFor };
}

const charge = { orderId: 'order-1', amount: 2500, currency: 'EUR' };

describe('payment client: charge', () => {
  it('captures with the order id as idempotency key', async () => {
    const { gateway, client, waits, tokenFor } = await setup();
    const result = await client.charge({ ...charge, token: await tokenFor(TEST_CARDS.succeeds) });
    const [capture] = await gateway.ledger.capturesFor('order-1');
    expect(result).toEqual({ kind: 'captured', chargeId: capture?.id });
    expect(waits).toEqual([]);
  });

  it.each([
    [TEST_CARDS.declined, 'card_declined'],
    [TEST_CARDS.insufficientFunds, 'insufficient_funds'],
  ])('does not retry a decline (%s)', async (card, reason) => {
    const { gateway, client, waits, tokenFor } = await setup({ transientFailures: 0 });
    const result = await client.charge({ ...charge, token: await tokenFor(card) });
    expect(result).toEqual({ kind: 'declined', reason });
    expect(waits).toEqual([]);
    expect(await gateway.ledger.entries()).toHaveLength(1);
  });

  it('retries gateway errors, then captures once', async () => {
    const { gateway, client, waits, tokenFor } = await setup({ transientFailures: 2 });
    const result = await client.charge({ ...charge, token: await tokenFor(TEST_CARDS.succeeds) });
    expect(result.kind).toBe('captured');
    expect(waits).toHaveLength(2);
    expect(await gateway.ledger.capturesFor('order-1')).toHaveLength(1);
  });

  it('gives up after `attempts` with unavailable, waiting a growing backoff between', async () => {
    const { gateway, client, waits, tokenFor } = await setup({}, { attempts: 5 });
    const result = await client.charge({
      ...charge,
      token: await tokenFor(TEST_CARDS.gatewayError),
    });
    expect(result).toEqual({ kind: 'unavailable', reason: 'gateway_error', attempts: 5 });
    // Full jitter at random 0.5: half of 100, 200, 400, 800.
    expect(waits).toEqual([50, 100, 200, 400]);
    expect(await gateway.ledger.entries()).toEqual([]);
  });

  it('times out a held answer and retries with the same key: one capture', async () => {
    const { gateway, client, waits, tokenFor } = await setup(
      // random 0 rolls the timeout (0 < 1) and neither error nor decline (0 < 0 is false).
      { timeoutRate: 1, timeoutHoldMs: 20_000, random: () => 0 },
      { timeoutMs: 200 },
    );
    const result = await client.charge({ ...charge, token: await tokenFor('5555555555554444') });
    expect(result.kind).toBe('captured');
    expect(waits).toHaveLength(1);
    expect(await gateway.ledger.capturesFor('order-1')).toHaveLength(1);
  });

  it('times out a slow gateway on every attempt without charging twice', async () => {
    const { gateway, client, waits, tokenFor, options } = await setup(
      { latencyMs: 300 },
      { timeoutMs: 100, attempts: 3 },
    );
    const token = await tokenFor(TEST_CARDS.succeeds);
    expect(await client.charge({ ...charge, token })).toEqual({
      kind: 'unavailable',
      reason: 'timeout',
      attempts: 3,
    });
    expect(waits).toHaveLength(2);
    // The gateway went on with the abandoned attempts; a patient repeat learns the outcome,
    // and answers after all of them were handled.
    const patient = createPaymentClient({ ...options, timeoutMs: 5_000 });
    const later = await patient.charge({ ...charge, token });
    const captures = await gateway.ledger.capturesFor('order-1');
    expect(captures).toHaveLength(1);
    expect(later).toEqual({ kind: 'captured', chargeId: captures[0]?.id });
  });

  it('retries a refused connection, then reports unavailable', async () => {
    const port = await freePort();
    const waits: number[] = [];
    const client = createPaymentClient({
      baseUrl: `http://127.0.0.1:${port}`,
      attempts: 2,
      sleep: (ms) => (waits.push(ms), Promise.resolve()),
    });
    const result = await client.charge({ ...charge, token: 'tok' });
    expect(result).toEqual({ kind: 'unavailable', reason: 'connection_error', attempts: 2 });
    expect(waits).toHaveLength(1);
  });

  it('stops retrying once its signal aborts', async () => {
    const stop = new AbortController();
    const { client, tokenFor } = await setup(
      {},
      { signal: stop.signal, sleep: () => (stop.abort(), Promise.resolve()) },
    );
    const result = await client.charge({
      ...charge,
      token: await tokenFor(TEST_CARDS.gatewayError),
    });
    expect(result).toEqual({ kind: 'unavailable', reason: 'stopped', attempts: 1 });
  });
});

describe('payment client: refund and tokenize', () => {
  it('refunds once per order, retrying gateway errors', async () => {
    const { gateway, client, tokenFor, waits } = await setup({ transientFailures: 1 });
    const captured = await client.charge({ ...charge, token: await tokenFor(TEST_CARDS.succeeds) });
    if (captured.kind !== 'captured') throw new Error('not captured');
    const refund = { orderId: 'order-1', chargeId: captured.chargeId };
    const first = await client.refund(refund);
    expect(first.kind).toBe('refunded');
    expect(await client.refund(refund)).toEqual(first);
    expect(waits).toHaveLength(2);
    const refunds = (await gateway.ledger.entries()).filter((e) => e.kind === 'refund');
    expect(refunds).toEqual([
      expect.objectContaining({ amount: 2500, idempotency_key: 'order-1:refund' }),
    ]);
  });

  it('reports a refused refund without retrying', async () => {
    const { client, waits } = await setup();
    expect(await client.refund({ orderId: 'order-1', chargeId: 'ch_nope' })).toEqual({
      kind: 'rejected',
      reason: 'charge_not_found',
    });
    expect(waits).toEqual([]);
  });

  it('reports invalid card fields from tokenize', async () => {
    const { client } = await setup();
    const result = await client.tokenize({
      card_number: '4242424242424241',
      exp_month: 13,
      exp_year: 2099,
      cvc: '1',
    });
    expect(result).toMatchObject({
      kind: 'invalid',
      fields: ['body.card_number', 'body.exp_month', 'body.cvc'],
    });
  });

  it('never writes the card number to its log', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const client = createPaymentClient({
      baseUrl: `http://127.0.0.1:${await freePort()}`,
      attempts: 2,
      sleep: () => Promise.resolve(),
      logger: createLogger({ level: 'trace', destination }),
    });
    await client.tokenize({ card_number: TEST_CARDS.succeeds, ...CARD });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(TEST_CARDS.succeeds);
  });
});

describe('payment client: a burst of charges', () => {
  it('holds and backs off a burst on one signal each without a listener-leak warning', () => {
    const run = spawnSync(
      process.execPath,
      ['-r', '@swc-node/register', path.join(__dirname, 'fixtures', 'burst.ts')],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, BURST_DATABASE_URL: books.connectionString() },
      },
    );
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ captured: 20, stopped: 20 });
    expect(run.stderr).not.toContain('MaxListenersExceededWarning');
  });
});

describe('payment client: backoff and settings', () => {
  it('doubles the ceiling per retry, jitters below it, and caps it', () => {
    const policy = { baseDelayMs: 500, maxDelayMs: 3_000 };
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(n, policy, top))).toEqual([
      499, 999, 1999, 2999, 2999,
    ]);
    expect(retryDelay(3, policy, () => 0)).toBe(0);
  });

  it('reads the client settings with their defaults', () => {
    expect(paymentClientOptionsFromEnv({})).toEqual(
      E.right({
        baseUrl: 'http://127.0.0.1:3100',
        timeoutMs: 2_000,
        attempts: 4,
        baseDelayMs: 500,
      }),
    );
    expect(
      paymentClientOptionsFromEnv({ PAYMENT_RETRY_ATTEMPTS: '6', PAYMENT_RETRY_BASE_MS: '10' }),
    ).toEqual(E.right(expect.objectContaining({ attempts: 6, baseDelayMs: 10 })));
    const bad = paymentClientOptionsFromEnv({
      PAYMENT_RETRY_ATTEMPTS: '0',
      PAYMENT_GATEWAY_URL: 'ftp://x',
    });
    expect(E.isLeft(bad) && bad.left.map((l) => l.split(':')[0])).toEqual([
      'PAYMENT_GATEWAY_URL',
      'PAYMENT_RETRY_ATTEMPTS',
    ]);
  });
});
