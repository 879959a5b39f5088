import {
  type ConsumerRunner,
  type ProjectionConsumer,
  type ReactorConsumer,
  createConsumerRunner,
  listParked,
  retryParked,
} from '../../src/consumers';
import type { RecordedEvent } from '../../src/eventstore';
import {
  countRows,
  createHarness,
  type Harness,
  insertRows,
  storedCheckpoint,
  waitFor,
} from './fixtures/helpers';

let h: Harness;
const runners: ConsumerRunner[] = [];

beforeAll(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await h.close();
});

const retry = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

/** Events of streams `${p}-a` (the second one is poison), `${p}-b` and `${p}-c`, interleaved. */
async function appendScenario(p: string): Promise<Record<string, bigint>> {
  const at: Record<string, bigint> = {};
  const add = async (stream: string, label: string, poison = false) => {
    at[label] = (
      await h.store.appendToStream(`${p}-${stream}`, [{ type: 'Step', data: { label, poison } }])
    ).position;
  };
  await add('a', 'a1');
  await add('b', 'b1');
  await add('a', 'a2', true);
  await add('b', 'b2');
  await add('a', 'a3');
  await add('c', 'c1');
  await add('a', 'a4');
  await add('b', 'b3');
  return at;
}

const label = (e: RecordedEvent): string => (e.data as { label: string }).label;
const isPoison = (e: RecordedEvent): boolean => (e.data as { poison: boolean }).poison;

async function labelsOfRows(name: string): Promise<string[]> {
  const { rows } = await h.pool.query<{ label: string }>(
    `SELECT e.data->>'label' AS label FROM proj_rows r JOIN es_events e ON e.event_id = r.event_id
      WHERE r.consumer = $1 ORDER BY r.position`,
    [name],
  );
  return rows.map((r) => r.label);
}

describe.each(['projection', 'reactor'] as const)('poison events (%s)', (kind) => {
  it('parks the poison event, holds its stream, lets the others flow, and retryParked releases it', async () => {
    const name = `poison-${kind}`;
    let fixed = false;
    const handled: string[] = [];
    const handleOne = async (e: RecordedEvent, apply: () => Promise<void>) => {
      if (isPoison(e) && !fixed) throw new Error(`cannot handle ${label(e)}`);
      handled.push(label(e));
      await apply();
    };
    const filter = { streamPrefixes: [`${name}-`] };
    const consumer: ProjectionConsumer | ReactorConsumer =
      kind === 'projection'
        ? {
            kind,
            name,
            filter,
            handle: async (events, tx) => {
              for (const e of events) await handleOne(e, () => insertRows(tx, name, [e]));
            },
          }
        : {
            kind,
            name,
            filter,
            handle: async (e) => {
              await handleOne(e, async () => {
                const client = await h.pool.connect();
                try {
                  await insertRows(client, name, [e]);
                } finally {
                  client.release();
                }
              });
            },
          };
    const at = await appendScenario(name);
    const runner = createConsumerRunner({
      consumer,
      store: h.store,
      pool: h.pool,
      pollMs: 200,
      retry,
    });
    runners.push(runner);
    runner.start();

    await waitFor(
      async () => (await storedCheckpoint(h.pool, name)) >= at.b3!,
      'checkpoint past the end',
    );
    expect(await labelsOfRows(name)).toEqual(['a1', 'b1', 'b2', 'c1', 'b3']);
    let parked = await listParked(h.pool, name);
    expect(parked.map((p) => [p.position, p.streamName, p.attempts, p.heldBehind])).toEqual([
      [at.a2, `${name}-a`, 3, null],
      [at.a3, `${name}-a`, 0, at.a2],
      [at.a4, `${name}-a`, 0, at.a2],
    ]);
    expect(parked[0]).toMatchObject({ eventType: 'Step', errorMessage: 'cannot handle a2' });
    expect(parked[0]?.errorStack).toContain('cannot handle a2');
    expect(parked[1]?.errorMessage).toContain('held behind');
    expect(await listParked(h.pool)).toEqual(expect.arrayContaining(parked));

    // Live: the held stream keeps parking, the others keep flowing.
    const a5 = (
      await h.store.appendToStream(`${name}-a`, [{ type: 'Step', data: { label: 'a5' } }])
    ).position;
    const b4 = (
      await h.store.appendToStream(`${name}-b`, [{ type: 'Step', data: { label: 'b4' } }])
    ).position;
    await waitFor(async () => (await storedCheckpoint(h.pool, name)) >= b4, 'live events done');
    expect(await labelsOfRows(name)).toEqual(['a1', 'b1', 'b2', 'c1', 'b3', 'b4']);
    expect((await listParked(h.pool, name)).map((p) => p.position)).toEqual([
      at.a2,
      at.a3,
      at.a4,
      a5,
    ]);
    expect((await runner.status()).parkedCount).toBe(4);

    // Still failing: everything stays parked, with the new error and one more attempt.
    const failed = await retryParked({ pool: h.pool, store: h.store, consumer });
    expect(failed).toEqual([
      { streamName: `${name}-a`, retried: 0, released: false, error: 'cannot handle a2' },
    ]);
    parked = await listParked(h.pool, name);
    expect(parked.map((p) => p.attempts)).toEqual([4, 0, 0, 0]);

    fixed = true;
    handled.length = 0;
    const released = await retryParked({
      pool: h.pool,
      store: h.store,
      consumer,
      streamName: `${name}-a`,
    });
    expect(released).toEqual([{ streamName: `${name}-a`, retried: 4, released: true }]);
    expect(handled).toEqual(['a2', 'a3', 'a4', 'a5']);
    expect(await listParked(h.pool, name)).toEqual([]);

    // The hold is gone: the stream's next event is handled normally.
    const a6 = (
      await h.store.appendToStream(`${name}-a`, [{ type: 'Step', data: { label: 'a6' } }])
    ).position;
    await waitFor(async () => (await storedCheckpoint(h.pool, name)) >= a6, 'a6 done');
    expect(await labelsOfRows(name)).toEqual([
      'a1',
      'b1',
      'a2',
      'b2',
      'a3',
      'c1',
      'a4',
      'b3',
      'a5',
      'b4',
      'a6',
    ]);
    expect(await countRows(h.pool, name)).toBe(11);
    expect(await listParked(h.pool, name)).toEqual([]);
  });
});

it('parks an event whose handler swallowed an SQL error (the transaction could not commit)', async () => {
  const name = 'poison-swallowed';
  const consumer: ProjectionConsumer = {
    kind: 'projection',
    name,
    filter: { streamPrefixes: [`${name}-`] },
    handle: async (events, tx) => {
      for (const e of events) {
        if (label(e) === 'bad') await tx.query('SELECT 1 / 0').catch(() => undefined);
        await insertRows(tx, name, [e]).catch(() => undefined);
      }
    },
  };
  await h.store.appendToStream(`${name}-ok`, [{ type: 'Step', data: { label: 'ok' } }]);
  const bad = await h.store.appendToStream(`${name}-bad`, [
    { type: 'Step', data: { label: 'bad' } },
  ]);
  const runner = createConsumerRunner({ consumer, store: h.store, pool: h.pool, retry });
  runners.push(runner);
  runner.start();
  await waitFor(async () => (await storedCheckpoint(h.pool, name)) >= bad.position, 'done');
  expect(await labelsOfRows(name)).toEqual(['ok']);
  expect((await listParked(h.pool, name)).map((p) => [p.position, p.errorMessage])).toEqual([
    [bad.position, 'an SQL error aborted the transaction; it was rolled back'],
  ]);
});

it('retryParked makes a later failing event the new poison event of its stream', async () => {
  const name = 'poison-shift';
  const failOn = new Set(['x1', 'x2']);
  const consumer: ProjectionConsumer = {
    kind: 'projection',
    name,
    filter: { streamPrefixes: [`${name}-`] },
    handle: async (events, tx) => {
      for (const e of events) {
        if (failOn.has(label(e))) throw new Error(`no ${label(e)}`);
        await insertRows(tx, name, [e]);
      }
    },
  };
  const positions: bigint[] = [];
  for (const l of ['x1', 'x2', 'x3']) {
    positions.push(
      (await h.store.appendToStream(`${name}-x`, [{ type: 'Step', data: { label: l } }])).position,
    );
  }
  const runner = createConsumerRunner({
    consumer,
    store: h.store,
    pool: h.pool,
    pollMs: 200,
    retry,
  });
  runners.push(runner);
  runner.start();
  await waitFor(async () => (await listParked(h.pool, name)).length === 3, 'three parked');

  failOn.delete('x1');
  const result = await retryParked({ pool: h.pool, store: h.store, consumer });
  expect(result).toEqual([
    { streamName: `${name}-x`, retried: 1, released: false, error: 'no x2' },
  ]);
  const parked = await listParked(h.pool, name);
  expect(parked.map((p) => [p.position, p.attempts, p.heldBehind])).toEqual([
    [positions[1], 1, null],
    [positions[2], 0, positions[1]],
  ]);
  expect(await labelsOfRows(name)).toEqual(['x1']);
});
