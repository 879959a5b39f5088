import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { EventStore, RecordedEvent } from '../../src/eventstore';
import { createPostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventStoreConformance } from './conformance';
import {
  collect,
  delay,
  expectStrictlyAscending,
  expectUnique,
  newEvent,
  readPrefix,
  readYourWrites,
  stopAll,
  uniquePrefix,
  waitFor,
} from './conformance/support';

/** A fresh migrated database and a store on it; teardown closes the store and drops the database. */
async function postgresStore(
  options: { pollIntervalMs?: number } = {},
): Promise<{ store: EventStore; teardown(): Promise<void> }> {
  const db = await createTestDatabase();
  try {
    const store = await createPostgresEventStore({
      connectionString: db.connectionString,
      ...options,
    });
    return { store, teardown: () => closeAndDrop(db, [store]) };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/**
 * Closes the stores, waits until their connections are gone, then drops the database.
 * Dropping at once (DROP ... WITH (FORCE)) would terminate connections a pool is still
 * closing, and pg reports that as an unhandled client error. A store that still holds a
 * connection 5 s after close() resolved fails the teardown: close() leaks.
 */
async function closeAndDrop(db: TestDatabase, stores: EventStore[]): Promise<void> {
  try {
    const closed = await Promise.allSettled(stores.map((s) => s.close()));
    const failed = closed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const admin = new Client({ connectionString: process.env.ORDERFLOW_TEST_ADMIN_URL });
    await admin.connect();
    try {
      await waitFor(
        async () =>
          (
            await admin.query(
              'SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
              [db.name],
            )
          ).rowCount === 0,
        `every connection to ${db.name} to close after close()`,
        5_000,
      );
    } finally {
      await admin.end();
    }
  } finally {
    await db.drop();
  }
}

eventStoreConformance('postgres', () => postgresStore());

/** A raw connection, as another process (or a psql session) would have. */
async function rawClient(connectionString: string): Promise<Client> {
  const client = new Client({ connectionString });
  client.on('error', () => undefined); // terminated on purpose in one test
  await client.connect();
  return client;
}

const heldAppendSql = 'SELECT * FROM es_append($1, $2, $3::jsonb)';

function eventsJson(id: string, type: string): string {
  return JSON.stringify([{ id, type, data: {}, metadata: {} }]);
}

describe('PostgreSQL event store specifics', () => {
  let db: TestDatabase;
  let store: EventStore; // waits for its own appends before reading $all (see readYourWrites)
  let unwrapped: EventStore; // the same store, reads never wait
  const extraStores: EventStore[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    unwrapped = await createPostgresEventStore({ connectionString: db.connectionString });
    store = readYourWrites(unwrapped);
  });
  afterAll(async () => {
    if (db) await closeAndDrop(db, [unwrapped, ...extraStores].filter(Boolean));
  });

  it('a transaction held open while later appends commit: 3 subscribers each see every event once, in order, and nothing past it early', async () => {
    const prefix = uniquePrefix('held');
    const filter = { streamPrefixes: [prefix] };
    let committing = false;
    interface Receipt {
      event: RecordedEvent;
      beforeCommit: boolean;
    }
    const receipts: Receipt[][] = [[], [], []];
    const record = (i: number) => (event: RecordedEvent) => {
      receipts[i]!.push({ event, beforeCommit: !committing });
    };
    // Two filtered, one reading everything in the database.
    const subscribers = [
      collect(store, { fromPosition: 0n, filter }, record(0)),
      collect(store, { fromPosition: 0n, filter }, record(1)),
      collect(store, { fromPosition: 0n }, record(2)),
    ];
    const raw = await rawClient(db.connectionString);
    try {
      const heldId = randomUUID();
      await raw.query('BEGIN');
      const { rows } = await raw.query<{ outcome: string; last_position: string }>(heldAppendSql, [
        `${prefix}-held`,
        'any',
        eventsJson(heldId, 'Held'),
      ]);
      expect(rows[0]!.outcome).toBe('appended');
      const heldPosition = BigInt(rows[0]!.last_position);
      const heldSince = Date.now();

      // Several writers commit later appends while the first is still open.
      let committedWrites = 0;
      const writers = Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let k = 0; k < 10; k++) {
            await store.appendToStream(`${prefix}-w${w}`, [newEvent('Later', { w, k })]);
            committedWrites++;
          }
        }),
      );
      await waitFor(
        () => committedWrites === 40,
        'the writers to commit while the held append is open',
      );
      await writers;
      await delay(Math.max(0, 1_000 - (Date.now() - heldSince)));

      const visibleWhileHeld = await unwrapped.readAll({ filter });
      expect(visibleWhileHeld.filter((e) => e.position > heldPosition)).toEqual([]);

      committing = true; // receipts before this line certainly preceded the commit
      await raw.query('COMMIT');

      const expected = await readPrefix(store, prefix);
      expect(expected).toHaveLength(41);
      expect(expected[0]!.id).toBe(heldId);
      expect(expected[0]!.position).toBe(heldPosition);
      // The scenario really happened: positions past the held one committed before it.
      expect(expected.slice(1).every((e) => e.position > heldPosition)).toBe(true);

      const mine = (i: number) => receipts[i]!.filter((r) => r.event.streamName.startsWith(prefix));
      await waitFor(
        () => [0, 1, 2].every((i) => mine(i).length >= 41),
        'every subscriber to receive all 41 events',
      );
      await delay(200); // let any duplicate delivery show up
      for (const i of [0, 1, 2]) {
        expect(subscribers[i]!.errors).toEqual([]);
        const got = mine(i);
        const early = got.filter((r) => r.beforeCommit && r.event.position > heldPosition);
        expect(early.map((r) => r.event.position)).toEqual([]);
        expectUnique(
          got.map((r) => r.event.id),
          `event delivered to subscriber ${i}`,
        );
        expect(got.map((r) => r.event.id)).toEqual(expected.map((e) => e.id));
        expectStrictlyAscending(receipts[i]!.map((r) => r.event.position));
      }
    } finally {
      await raw.end().catch(() => undefined);
      await stopAll(subscribers);
    }
  });

  describe('LISTEN/NOTIFY wake-ups across store instances (processes)', () => {
    let sleepy: EventStore; // polls once a minute: only a NOTIFY wakes it in time
    let writer: EventStore;
    beforeAll(async () => {
      sleepy = await createPostgresEventStore({
        connectionString: db.connectionString,
        pollIntervalMs: 60_000,
      });
      writer = await createPostgresEventStore({ connectionString: db.connectionString });
      extraStores.push(sleepy, writer);
    });

    it('an append through another store reaches a subscriber within 2 s', async () => {
      const prefix = uniquePrefix('notify');
      const c = collect(sleepy, {
        fromPosition: await writer.headPosition(),
        filter: { streamPrefixes: [prefix] },
      });
      try {
        for (let i = 0; i < 3; i++) {
          await delay(250); // let the subscriber go back to sleep: this only makes the test harder to pass
          await writer.appendToStream(`${prefix}-s`, [newEvent('Wake', { i })]);
          await c.waitForCount(i + 1, 2_000);
        }
        expect(c.events.map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
      } finally {
        await c.stop();
      }
    });

    it('waitForAppend wakes within 2 s on an append through another store', async () => {
      const head = await sleepy.headPosition();
      const started = Date.now();
      const waiting = sleepy.waitForAppend(head, 30_000);
      await delay(250);
      await writer.appendToStream(`${uniquePrefix('notify')}-s`, [newEvent()]);
      await waiting;
      expect(Date.now() - started).toBeLessThan(2_250);
    });

    it('an append notified while an unrelated transaction holds readers back is delivered within 2 s of that transaction ending', async () => {
      const prefix = uniquePrefix('blocked');
      const c = collect(sleepy, {
        fromPosition: await writer.headPosition(),
        filter: { streamPrefixes: [prefix] },
      });
      const blocker = await rawClient(db.connectionString);
      try {
        await delay(250);
        // A write transaction that appends nothing (a projector's, say): it holds the read bound
        // back and sends no NOTIFY of its own when it ends.
        await blocker.query('BEGIN');
        await blocker.query('SELECT pg_current_xact_id()');
        await writer.appendToStream(`${prefix}-s`, [newEvent('Blocked')]);
        await delay(300);
        expect(c.events).toHaveLength(0); // held back by design while the blocker is open
        await blocker.query('COMMIT');
        const committedAt = Date.now();
        await c.waitForCount(1, 2_000);
        expect(Date.now() - committedAt).toBeLessThan(2_000);
      } finally {
        await blocker.end().catch(() => undefined);
        await c.stop();
      }
    });
  });

  it("gives each event the row's created_at, to the millisecond, in stream and $all reads", async () => {
    const stream = `created-${randomUUID()}`;
    await store.appendToStream(stream, [{ type: 'Made', data: {} }]);
    const client = new Client({ connectionString: db.connectionString });
    await client.connect();
    try {
      const { rows } = await client.query<{ ms: string }>(
        `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ms
           FROM es_events WHERE stream_name = $1`,
        [stream],
      );
      const [read] = await store.readStream(stream);
      expect(read?.createdAt.toISOString()).toBe(rows[0]?.ms);
      const all = await store.readAll({ filter: { streamPrefixes: [stream] } });
      expect(all[0]?.createdAt.toISOString()).toBe(rows[0]?.ms);
    } finally {
      await client.end();
    }
  });

  it('keeps its connections through append conflicts: no new server process per conflict', async () => {
    // pg-pool's `pool.query` closes the connection after any failed statement, and a stale
    // expected revision fails the fast append with a unique violation: one new backend per
    // conflict, which made PostgreSQL's CPU per order 10x in the split topology.
    const ownDb = await createTestDatabase(); // only this store's connections in it
    const own = await createPostgresEventStore({
      connectionString: ownDb.connectionString,
      poolSize: 1,
    });
    const stream = `conflicts-${randomUUID()}`;
    await own.appendToStream(stream, [newEvent('A'), newEvent('A'), newEvent('A')]);
    const client = new Client({ connectionString: ownDb.connectionString });
    await client.connect();
    const backends = async () =>
      (
        await client.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'orderflow-eventstore'
            ORDER BY pid`,
        )
      ).rows.map((r) => r.pid);
    try {
      const before = await backends();
      expect(before).toHaveLength(1);
      for (let i = 0; i < 5; i++) {
        await expect(
          own.appendToStream(stream, [newEvent('B')], { expectedRevision: 0n }),
        ).rejects.toMatchObject({ name: 'WrongExpectedRevisionError' });
      }
      expect(await backends()).toEqual(before);
      // Still a working connection.
      await own.appendToStream(stream, [newEvent('C')], { expectedRevision: 2n });
      expect((await own.readStream(stream)).map((e) => e.type)).toEqual(['A', 'A', 'A', 'C']);
    } finally {
      await client.end();
      await closeAndDrop(ownDb, [own]);
    }
  });

  it('a crash mid-append writes nothing, and the store keeps working', async () => {
    const prefix = uniquePrefix('crash');
    const stream = `${prefix}-s`;
    const id = randomUUID();
    const c = collect(store, {
      fromPosition: await store.headPosition(),
      filter: { streamPrefixes: [prefix] },
    });
    const victim = await rawClient(db.connectionString);
    const killer = await rawClient(db.connectionString);
    try {
      const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!
        .pid;
      await victim.query('BEGIN');
      const { rows } = await victim.query<{ outcome: string }>(heldAppendSql, [
        stream,
        'no_stream',
        eventsJson(id, 'Crashed'),
      ]);
      expect(rows[0]!.outcome).toBe('appended');

      const killed = await killer.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [
        pid,
      ]);
      expect(killed.rows[0]!.ok).toBe(true);
      await waitFor(
        async () =>
          (await killer.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount ===
          0,
        'the terminated backend to be gone',
      );

      expect(await store.readStream(stream)).toEqual([]);
      expect(await readPrefix(store, prefix)).toEqual([]);

      // The id and the stream are free: the aborted append left nothing behind.
      const result = await store.appendToStream(stream, [{ id, type: 'AfterCrash', data: {} }], {
        expectedRevision: 'no_stream',
      });
      expect(result.nextRevision).toBe(0n);
      await c.waitForCount(1, 5_000);
      expect(c.events.map((e) => [e.id, e.type, e.position])).toEqual([
        [id, 'AfterCrash', result.position],
      ]);
      expect(c.errors).toEqual([]);
    } finally {
      await victim.end().catch(() => undefined);
      await killer.end();
      await c.stop();
    }
  });
});
