import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { createPostgresEventStore, type EventStore } from '../../src/eventstore';
import { GROUP_APPEND, GroupAppend } from '../../src/eventstore/postgres/group-append';
import {
  appendToPostgres,
  type AppendOutcome,
} from '../../src/eventstore/postgres/postgres-append';
import { serializeEvents } from '../../src/eventstore/validation';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { aroundQuery } from '../support/pool-proxy';

// Group commit: appends made in one turn of the event loop, or queued behind one in flight,
// go out as one statement. Most tests hold the single lane with a first append (sent, then a
// turn later the rest queued behind it) and check that every append of the batch gets the
// outcome it would have had alone.

let db: TestDatabase;
let store: EventStore;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  store = await createPostgresEventStore({ connectionString: db.connectionString });
  pool = new Pool({ connectionString: db.connectionString, max: 4 });
});
afterAll(async () => {
  await pool.end();
  await store.close();
  await db.drop();
});

const events = (n: number, ids = Array.from({ length: n }, () => randomUUID())) =>
  serializeEvents(ids.map((id, i) => ({ id, type: 'Grouped', data: { i } })));

/** Counts the statements the pool sends. */
function countingPool(): { pool: Pool; statements: () => number } {
  let n = 0;
  const counting = aroundQuery(
    pool,
    (args, query) => {
      n++;
      return query(...args);
    },
    { clients: true },
  );
  return { pool: counting, statements: () => n };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function revisions(stream: string): Promise<string[]> {
  return (await store.readStream(stream)).map((e) => `${e.revision}:${e.type}`);
}

describe('group append', () => {
  it('sends the appends queued behind one in flight as one statement, each with its own result', async () => {
    const { pool: counting, statements } = countingPool();
    const group = new GroupAppend(counting, 1);
    const existing = `grp-${randomUUID()}`;
    await store.appendToStream(existing, [{ type: 'First', data: {} }]);
    const streams = Array.from({ length: 5 }, () => `grp-${randomUUID()}`);

    const first = group.append(`grp-${randomUUID()}`, 'no_stream', events(1));
    await nextTurn(); // `first` is in flight: the rest queue behind it
    const batch = [
      ...streams.map((s, i) => group.append(s, 'no_stream', events(i + 1))),
      group.append(existing, 0n, events(2)),
    ];
    const outcomes = await Promise.all([first, ...batch]);

    expect(statements()).toBe(2);
    expect(outcomes.every((o) => o.outcome === 'appended')).toBe(true);
    const [, ...grouped] = outcomes as AppendOutcome[];
    expect(grouped.map((o) => o.next_revision)).toEqual(['0', '1', '2', '3', '4', '2']);
    // One transaction: positions share the transaction id, distinct and ordered by queue.
    const positions = grouped.map((o) => BigInt(o.last_position!));
    expect(new Set(positions.map((p) => p >> 16n)).size).toBe(1);
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    for (const [i, s] of streams.entries()) expect(await store.readStream(s)).toHaveLength(i + 1);
    expect(await revisions(existing)).toEqual(['0:First', '1:Grouped', '2:Grouped']);
  });

  it('commits the others and sends an append whose revision is not the last through es_append', async () => {
    const group = new GroupAppend(pool, 1);
    const behind = `grp-${randomUUID()}`; // expects revision 3 of a stream at 0: a gap
    await store.appendToStream(behind, [{ type: 'First', data: {} }]);
    const fresh = `grp-${randomUUID()}`;

    const first = group.append(`grp-${randomUUID()}`, 'no_stream', events(1));
    await nextTurn(); // `first` is in flight: the rest queue behind it
    const gap = group.append(behind, 3n, events(1));
    const ok = group.append(fresh, 'no_stream', events(1));
    const [, wrong, appended] = await Promise.all([first, gap, ok]);

    expect(wrong).toMatchObject({ outcome: 'wrong_revision', next_revision: '0' });
    expect(appended).toMatchObject({ outcome: 'appended', next_revision: '0' });
    expect(await revisions(behind)).toEqual(['0:First']);
    expect(await revisions(fresh)).toEqual(['0:Grouped']);
  });

  it('leaves out an append whose stream is already past its revision; the others commit together', async () => {
    const group = new GroupAppend(pool, 1);
    const taken = `grp-${randomUUID()}`; // no_stream on a stream that exists
    await store.appendToStream(taken, [{ type: 'First', data: {} }]);
    const stale = `grp-${randomUUID()}`; // expects revision 0 of a stream at 1: a stale cache
    await store.appendToStream(stale, [
      { type: 'First', data: {} },
      { type: 'Second', data: {} },
    ]);
    const a = `grp-${randomUUID()}`;
    const b = `grp-${randomUUID()}`;

    const first = group.append(`grp-${randomUUID()}`, 'no_stream', events(1));
    await nextTurn(); // `first` is in flight: the rest queue behind it
    const results = Promise.all([
      group.append(a, 'no_stream', events(2)),
      group.append(taken, 'no_stream', events(1)),
      group.append(stale, 0n, events(1)),
      group.append(b, 'no_stream', events(1)),
    ]);
    await first;
    const [ra, rTaken, rStale, rb] = await results;

    expect(ra).toMatchObject({ outcome: 'appended', next_revision: '1' });
    expect(rTaken).toMatchObject({ outcome: 'wrong_revision', next_revision: '0' });
    expect(rStale).toMatchObject({ outcome: 'wrong_revision', next_revision: '1' });
    expect(rb).toMatchObject({ outcome: 'appended', next_revision: '0' });
    // The statement held: a and b committed in one transaction.
    expect(BigInt(ra.last_position!) >> 16n).toBe(BigInt(rb.last_position!) >> 16n);
    expect(await revisions(taken)).toEqual(['0:First']);
    expect(await revisions(stale)).toEqual(['0:First', '1:Second']);
    expect(await revisions(a)).toEqual(['0:Grouped', '1:Grouped']);
  });

  it('retries every append alone when a rival not yet committed takes a revision (a race)', async () => {
    const group = new GroupAppend(pool, 1);
    const raced = `grp-${randomUUID()}`;
    await store.appendToStream(raced, [{ type: 'First', data: {} }]);
    const a = `grp-${randomUUID()}`;
    const b = `grp-${randomUUID()}`;
    // The rival holds revision 1 of `raced` uncommitted: invisible to the guard, but the
    // unique index makes the batch wait for it, then fail once it commits.
    const rival = new Client({ connectionString: db.connectionString });
    await rival.connect();
    try {
      await rival.query('BEGIN');
      await rival.query(
        `INSERT INTO es_events (position, event_id, stream_name, revision, event_type, data, metadata)
         VALUES (pg_current_xact_id()::text::bigint << 16, gen_random_uuid(), $1, 1, 'Rival', '{}', '{}')`,
        [raced],
      );
      const results = Promise.all([
        group.append(a, 'no_stream', events(1)),
        group.append(raced, 0n, events(1)),
        group.append(b, 'no_stream', events(1)),
      ]);
      // Wait until the batch waits on the rival's row lock, then let the rival commit.
      for (let waiting = false; !waiting;) {
        const { rows } = await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        waiting = Number(rows[0]?.n) > 0;
        if (!waiting) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await rival.query('COMMIT');
      const [ra, rRaced, rb] = await results;

      expect(ra).toMatchObject({ outcome: 'appended', next_revision: '0' });
      expect(rRaced).toMatchObject({ outcome: 'wrong_revision', next_revision: '1' });
      expect(rb).toMatchObject({ outcome: 'appended', next_revision: '0' });
      // Each went on its own: two transactions.
      expect(BigInt(ra.last_position!) >> 16n).not.toBe(BigInt(rb.last_position!) >> 16n);
      expect(await revisions(raced)).toEqual(['0:First', '1:Rival']);
    } finally {
      await rival.end();
    }
  });

  it('answers a repeat inside a batch with the first result, writing nothing twice', async () => {
    const group = new GroupAppend(pool, 1);
    const stream = `grp-${randomUUID()}`;
    const ids = [randomUUID(), randomUUID()];
    const original = await group.append(stream, 'no_stream', events(2, ids));
    const other = `grp-${randomUUID()}`;

    const first = group.append(`grp-${randomUUID()}`, 'no_stream', events(1));
    await nextTurn(); // `first` is in flight: the rest queue behind it
    const [, repeat, fresh] = await Promise.all([
      first,
      group.append(stream, 'no_stream', events(2, ids)),
      group.append(other, 'no_stream', events(1)),
    ]);

    expect(repeat).toMatchObject({
      outcome: 'idempotent',
      next_revision: original.next_revision,
      last_position: original.last_position,
    });
    expect(fresh).toMatchObject({ outcome: 'appended' });
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('never puts two appends to one stream in a batch: exactly one of two rivals wins', async () => {
    const group = new GroupAppend(pool, 1);
    const stream = `grp-${randomUUID()}`;
    await store.appendToStream(stream, [{ type: 'First', data: {} }]);
    const first = group.append(`grp-${randomUUID()}`, 'no_stream', events(1));
    await nextTurn(); // `first` is in flight: the rest queue behind it
    const rivals = await Promise.all([
      group.append(stream, 0n, events(1)),
      group.append(stream, 0n, events(1)),
      first,
    ]);
    expect(
      rivals
        .slice(0, 2)
        .map((o) => o.outcome)
        .sort(),
    ).toEqual(['appended', 'wrong_revision']);
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('sends the appends of one turn together even with a lane free', async () => {
    const { pool: counting, statements } = countingPool();
    const group = new GroupAppend(counting, 10);
    const streams = Array.from({ length: 4 }, () => `grp-${randomUUID()}`);
    const outcomes = await Promise.all(streams.map((s) => group.append(s, 'no_stream', events(1))));
    expect(statements()).toBe(1);
    expect(outcomes.map((o) => o.outcome)).toEqual([
      'appended',
      'appended',
      'appended',
      'appended',
    ]);
    for (const s of streams) expect(await revisions(s)).toEqual(['0:Grouped']);
  });

  it('probes the revision index per row, never hashing the table, even planned on a small one', async () => {
    // A plan made while es_events is small is cached with the prepared statement; a hashed
    // subplan there would hash the whole, growing table on every append.
    const fresh = await createTestDatabase();
    const client = new Client({ connectionString: fresh.connectionString });
    await client.connect();
    try {
      const small = await createPostgresEventStore({ connectionString: fresh.connectionString });
      await small.appendToStream('grp-small', [{ type: 'First', data: {} }]);
      await small.close();
      await client.query('ANALYZE es_events');
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE grouped(jsonb) AS ${GROUP_APPEND}`);
      await client.query('BEGIN');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE grouped('[{"s":"grp-small","e":0,"k":1,"id":"${randomUUID()}","t":"T","d":{},"m":{}}]')`,
      );
      await client.query('ROLLBACK');
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('SubPlan');
      expect(plan).not.toMatch(/hashed SubPlan/i);
    } finally {
      await client.end();
      await fresh.drop();
    }
  });

  it('fails every append of a batch whose statement fails for another reason', async () => {
    let calls = 0;
    const failing = aroundQuery(
      pool,
      (args, query) =>
        ++calls === 2 ? Promise.reject(new Error('connection lost')) : query(...args),
      { clients: true },
    );
    const group = new GroupAppend(failing, 1);
    const first = group.append(`grp-${randomUUID()}`, 'no_stream', events(1));
    await nextTurn(); // `first` is in flight: the rest queue behind it
    const a = group.append(`grp-${randomUUID()}`, 'no_stream', events(1));
    const b = group.append(`grp-${randomUUID()}`, 'no_stream', events(1));
    await expect(first).resolves.toMatchObject({ outcome: 'appended' });
    await expect(a).rejects.toThrow('connection lost');
    await expect(b).rejects.toThrow('connection lost');
  });
});

describe('single append', () => {
  it('answers a writer whose stream moved on without a failed statement', async () => {
    let failed = 0;
    const watching = aroundQuery(
      pool,
      (args, query) =>
        (query(...args) as Promise<unknown>).catch((error: unknown) => {
          failed++;
          throw error;
        }),
      { clients: true },
    );
    const stream = `one-${randomUUID()}`;
    await store.appendToStream(stream, [
      { type: 'First', data: {} },
      { type: 'Second', data: {} },
    ]);
    // Both fast paths: one event, and several.
    const one = await appendToPostgres(watching, stream, 0n, events(1));
    const several = await appendToPostgres(watching, stream, 0n, events(2));
    expect(one).toMatchObject({ outcome: 'wrong_revision', next_revision: '1' });
    expect(several).toMatchObject({ outcome: 'wrong_revision', next_revision: '1' });
    expect(failed).toBe(0);
    expect(await revisions(stream)).toEqual(['0:First', '1:Second']);
  });
});
