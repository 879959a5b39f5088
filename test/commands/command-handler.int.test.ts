import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { handleCommand, loadState } from '../../src/commands/command-handler';
import { StreamStateCache } from '../../src/commands/stream-state-cache';
import { assertNever, type Decider } from '../../src/domain/decider';
import {
  createPostgresEventStore,
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type EventStore,
} from '../../src/eventstore';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';

// A tiny bank account: a command with two events, a domain error, and an idempotent no-op.
type Command =
  | { type: 'Deposit'; amount: number; fee?: number }
  | { type: 'Withdraw'; amount: number }
  | { type: 'Close' };
type Event =
  | { type: 'Deposited'; data: { amount: number } }
  | { type: 'FeeCharged'; data: { amount: number } }
  | { type: 'Withdrawn'; data: { amount: number } }
  | { type: 'Closed'; data: Record<string, never> };
type State = { balance: number; closed: boolean };
type AccountError = { code: 'INSUFFICIENT_FUNDS'; balance: number } | { code: 'ACCOUNT_CLOSED' };

const account: Decider<Command, Event, State, AccountError> = {
  initialState: { balance: 0, closed: false },
  decide(command, state) {
    if (command.type === 'Close') return E.right(state.closed ? [] : [closed]);
    if (state.closed) return E.left({ code: 'ACCOUNT_CLOSED' });
    switch (command.type) {
      case 'Deposit':
        return E.right([
          { type: 'Deposited', data: { amount: command.amount } },
          ...(command.fee ? [{ type: 'FeeCharged' as const, data: { amount: command.fee } }] : []),
        ]);
      case 'Withdraw':
        if (command.amount > state.balance) {
          return E.left({ code: 'INSUFFICIENT_FUNDS', balance: state.balance });
        }
        return E.right([{ type: 'Withdrawn', data: { amount: command.amount } }]);
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'Deposited':
        return { ...state, balance: state.balance + event.data.amount };
      case 'FeeCharged':
      case 'Withdrawn':
        return { ...state, balance: state.balance - event.data.amount };
      case 'Closed':
        return { ...state, closed: true };
      default:
        return assertNever(event);
    }
  },
  schemaVersion: (event) => (event.type === 'Deposited' ? 2 : 1),
};
const closed: Event = { type: 'Closed', data: {} };
const deposit1000: Event = { type: 'Deposited', data: { amount: 1000 } };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let db: TestDatabase;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase();
  store = await createPostgresEventStore({ connectionString: db.connectionString });
});

afterAll(async () => {
  await store?.close();
  await db?.drop();
});

const newStream = () => `account-${randomUUID()}`;
const deposit = (amount: number, fee?: number): Command => ({ type: 'Deposit', amount, fee });

/** The store with some methods replaced; the rest still reach the real store. */
function intercept(overrides: Partial<EventStore>): EventStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property in overrides) return overrides[property as keyof EventStore];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/** A store whose appends first let another writer append `event` (the first `times` times). */
function withConcurrentWriter(times = Infinity, event: Event = deposit1000) {
  const calls = { reads: 0, appends: 0 };
  const racing = intercept({
    readStream: (...args) => {
      calls.reads++;
      return store.readStream(...args);
    },
    appendToStream: async (stream, events, options) => {
      if (calls.appends++ < times) await store.appendToStream(stream, [event]);
      return store.appendToStream(stream, events, options);
    },
  });
  return { racing, calls };
}

function right<A>(result: E.Either<unknown, A>): A {
  if (E.isLeft(result)) throw new Error(`Expected Right, got ${JSON.stringify(result.left)}`);
  return result.right;
}

async function countEvents(): Promise<number> {
  const client = new Client({ connectionString: db.connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM es_events');
    return rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

describe('handleCommand', () => {
  it('appends the decided events with the revision read and returns them', async () => {
    const stream = newStream();
    right(await handleCommand(store, account, { streamName: stream, command: deposit(50) }));

    const result = right(
      await handleCommand(store, account, { streamName: stream, command: deposit(100, 2) }),
    );

    expect(result.events.map(({ type, data, revision }) => ({ type, data, revision }))).toEqual([
      { type: 'Deposited', data: { amount: 100 }, revision: 1n },
      { type: 'FeeCharged', data: { amount: 2 }, revision: 2n },
    ]);
    expect(result.nextRevision).toBe(2n);
    const stored = await store.readStream(stream);
    expect(stored.map((e) => [e.id, e.type, e.data, e.revision])).toEqual([
      [expect.stringMatching(uuidPattern), 'Deposited', { amount: 50 }, 0n],
      ...result.events.map((e) => [e.id, e.type, e.data, e.revision]),
    ]);
    expect(result.position).toBe(stored[2]?.position);
  });

  it('returns a domain error as Left and writes nothing', async () => {
    const stream = newStream();
    const empty = await handleCommand(store, account, {
      streamName: stream,
      command: { type: 'Withdraw', amount: 1 },
    });
    expect(empty).toEqual(E.left({ code: 'INSUFFICIENT_FUNDS', balance: 0 }));
    expect(await store.readStream(stream)).toEqual([]);

    right(await handleCommand(store, account, { streamName: stream, command: deposit(30) }));
    const overdraft = await handleCommand(store, account, {
      streamName: stream,
      command: { type: 'Withdraw', amount: 31 },
    });
    expect(overdraft).toEqual(E.left({ code: 'INSUFFICIENT_FUNDS', balance: 30 }));
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('writes nothing when the decider has nothing to do, and reports the revision read', async () => {
    const stream = newStream();
    const first = right(
      await handleCommand(store, account, { streamName: stream, command: { type: 'Close' } }),
    );
    // Counted in SQL: the store's readers may lag behind a commit while some other
    // transaction on the server is open (the read horizon), a count never does.
    const before = await countEvents();

    const repeat = right(
      await handleCommand(store, account, { streamName: stream, command: { type: 'Close' } }),
    );

    expect(repeat).toEqual({ events: [], nextRevision: 0n, position: first.position });
    expect(await store.readStream(stream)).toHaveLength(1);
    expect(await countEvents()).toBe(before);
  });

  it('carries correlation, causation, user, schema version and time into metadata', async () => {
    const stream = newStream();
    const before = Date.now();
    const result = right(
      await handleCommand(store, account, {
        streamName: stream,
        command: deposit(10, 1),
        metadata: { correlationId: 'corr-1', causationId: 'cause-1', userId: 'user-1' },
      }),
    );

    const stored = await store.readStream(stream);
    expect(stored.map((e) => e.metadata)).toEqual([
      expect.objectContaining({
        correlationId: 'corr-1',
        causationId: 'cause-1',
        userId: 'user-1',
        schemaVersion: 2,
      }),
      expect.objectContaining({
        correlationId: 'corr-1',
        causationId: 'cause-1',
        userId: 'user-1',
        schemaVersion: 1,
      }),
    ]);
    for (const { metadata } of stored) {
      const timestamp = metadata.timestamp as string;
      expect(new Date(timestamp).toISOString()).toBe(timestamp);
      expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(timestamp)).toBeLessThanOrEqual(Date.now());
    }
    expect(result.events.map((e) => e.metadata)).toEqual(stored.map((e) => e.metadata));
  });

  it('gives the events of one command a fresh shared correlation id when none is given', async () => {
    const stream = newStream();
    right(await handleCommand(store, account, { streamName: stream, command: deposit(10, 1) }));
    right(await handleCommand(store, account, { streamName: stream, command: deposit(10) }));

    const ids = (await store.readStream(stream)).map((e) => e.metadata.correlationId);
    expect(ids).toEqual([
      expect.stringMatching(uuidPattern),
      ids[0],
      expect.stringMatching(uuidPattern),
    ]);
    expect(ids[2]).not.toBe(ids[0]);
    expect((await store.readStream(stream))[0]?.metadata).not.toHaveProperty('userId');
  });

  it('lets 20 concurrent commands on one stream all succeed through retries', async () => {
    const stream = newStream();
    const { racing: counting, calls } = withConcurrentWriter(0);

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        handleCommand(counting, account, { streamName: stream, command: deposit(i + 1) }),
      ),
    );

    const revisions = results.map((r) => right(r).nextRevision).sort((a, b) => Number(a - b));
    expect(revisions).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
    const stored = await store.readStream(stream);
    expect(stored.map((e) => e.revision)).toEqual(revisions);
    const balance = stored.reduce((sum, e) => sum + (e.data as { amount: number }).amount, 0);
    expect(balance).toBe(210);
    expect(calls.appends).toBeGreaterThan(20); // conflicts happened, and were retried
  });

  it('re-reads and decides again on the new state after a conflict', async () => {
    const stream = newStream();
    const deposited = withConcurrentWriter(1);
    const result = right(
      await handleCommand(deposited.racing, account, {
        streamName: stream,
        command: { type: 'Withdraw', amount: 0 },
      }),
    );
    expect(deposited.calls).toEqual({ reads: 2, appends: 2 });
    expect(result.nextRevision).toBe(1n); // after the concurrent deposit at revision 0

    // The first decision (deposit) is void once the account turns out closed.
    const closing = withConcurrentWriter(1, closed);
    const afterClose = await handleCommand(closing.racing, account, {
      streamName: newStream(),
      command: deposit(1),
    });
    expect(afterClose).toEqual(E.left({ code: 'ACCOUNT_CLOSED' }));
    expect(closing.calls).toEqual({ reads: 2, appends: 1 });
  });

  it('surfaces WrongExpectedRevisionError once the attempts are exhausted', async () => {
    const once = withConcurrentWriter(1);
    const stream = newStream();
    await expect(
      handleCommand(once.racing, account, {
        streamName: stream,
        command: deposit(1),
        maxAttempts: 1,
      }),
    ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(once.calls.appends).toBe(1);
    expect((await store.readStream(stream)).map((e) => e.data)).toEqual([{ amount: 1000 }]);

    const always = withConcurrentWriter();
    await expect(
      handleCommand(always.racing, account, {
        streamName: newStream(),
        command: deposit(1),
        backoffBaseMs: 1,
      }),
    ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(always.calls.appends).toBe(10); // the default number of attempts
  });

  it('uses an explicit expected revision and does not retry', async () => {
    const stream = newStream();
    right(await handleCommand(store, account, { streamName: stream, command: deposit(5) }));

    const stale = withConcurrentWriter(0);
    const mismatch = handleCommand(stale.racing, account, {
      streamName: stream,
      command: deposit(1),
      expectedRevision: 7n,
    });
    await expect(mismatch).rejects.toMatchObject({
      name: 'WrongExpectedRevisionError',
      expected: 7n,
      actual: 0n,
    });
    expect(stale.calls).toEqual({ reads: 1, appends: 0 });

    const raced = withConcurrentWriter(1);
    await expect(
      handleCommand(raced.racing, account, {
        streamName: stream,
        command: deposit(1),
        expectedRevision: 0n,
      }),
    ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(raced.calls).toEqual({ reads: 1, appends: 1 });

    const matching = right(
      await handleCommand(store, account, {
        streamName: stream,
        command: deposit(1),
        expectedRevision: 1n,
      }),
    );
    expect(matching.nextRevision).toBe(2n);
  });

  it('writes the events of one command id once, however often it is handled', async () => {
    const stream = newStream();
    const commandId = randomUUID();
    const handle = () =>
      handleCommand(store, account, { streamName: stream, command: deposit(10, 1), commandId });

    const results = [
      right(await handle()),
      ...(await Promise.all([handle(), handle(), handle()])).map(right),
    ];
    right(await handleCommand(store, account, { streamName: stream, command: deposit(3) }));
    results.push(right(await handle()));

    const stored = await store.readStream(stream);
    expect(stored.map((e) => e.data)).toEqual([{ amount: 10 }, { amount: 1 }, { amount: 3 }]);
    for (const result of results) {
      expect(result.events.map((e) => [e.id, e.type, e.revision])).toEqual(
        stored.slice(0, 2).map((e) => [e.id, e.type, e.revision]),
      );
      expect(result).toMatchObject({ nextRevision: 1n, position: stored[1]?.position });
    }
    expect(stored[0]?.metadata).toMatchObject({ commandId, causationId: commandId });
  });

  it('writes concurrent duplicates of one command once', async () => {
    const stream = newStream();
    const commandId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        handleCommand(store, account, { streamName: stream, command: deposit(7), commandId }),
      ),
    );
    expect(results.map((r) => right(r).nextRevision)).toEqual([0n, 0n, 0n, 0n, 0n]);
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('throws other errors without retrying', async () => {
    const stream = newStream();
    right(await handleCommand(store, account, { streamName: stream, command: deposit(1) }));
    const commandId = randomUUID();
    right(
      await handleCommand(store, account, { streamName: stream, command: deposit(1), commandId }),
    );

    // The same command id on another stream: the store refuses the ids, the handler rethrows.
    await expect(
      handleCommand(store, account, { streamName: newStream(), command: deposit(1), commandId }),
    ).rejects.toBeInstanceOf(DuplicateEventIdError);

    let reads = 0;
    const failing = intercept({
      readStream: () => {
        reads++;
        return Promise.reject(new Error('connection lost'));
      },
    });
    await expect(
      handleCommand(failing, account, { streamName: stream, command: deposit(1) }),
    ).rejects.toThrow('connection lost');
    expect(reads).toBe(1);
  });
});

/** The store, recording the revision each stream read starts from. */
function watchingReads() {
  const fromRevisions: (bigint | undefined)[] = [];
  const watching = intercept({
    readStream: (name, options) => {
      fromRevisions.push(options?.fromRevision);
      return store.readStream(name, options);
    },
  });
  return { watching, fromRevisions };
}

describe('handleCommand with a stream state cache', () => {
  const balanceOf = async (stream: string) =>
    (await store.readStream(stream)).reduce(
      (state, event) => account.evolve(state, event as unknown as Event),
      account.initialState,
    ).balance;

  it('decides on the cached state without reading the stream again', async () => {
    const cache = new StreamStateCache();
    const stream = newStream();
    let reads = 0;
    const counting = intercept({
      readStream: (...args) => {
        reads++;
        return store.readStream(...args);
      },
    });
    for (let i = 1; i <= 5; i++) {
      right(
        await handleCommand(counting, account, { streamName: stream, command: deposit(i), cache }),
      );
    }
    expect(reads).toBe(1);
    const result = right(
      await handleCommand(counting, account, {
        streamName: stream,
        command: { type: 'Withdraw', amount: 15 },
        cache,
      }),
    );
    expect(result.nextRevision).toBe(5n);
    expect(await balanceOf(stream)).toBe(0);
    const refused = await handleCommand(counting, account, {
      streamName: stream,
      command: { type: 'Withdraw', amount: 1 },
      cache,
    });
    expect(refused).toEqual(E.left({ code: 'INSUFFICIENT_FUNDS', balance: 0 }));
  });

  it('reads only the tail another writer appended, and decides on the state with it', async () => {
    const cache = new StreamStateCache();
    const stream = newStream();
    right(await handleCommand(store, account, { streamName: stream, command: deposit(10), cache }));
    // Another process (no cache) moves the stream on.
    right(await handleCommand(store, account, { streamName: stream, command: deposit(90) }));
    const { watching, fromRevisions } = watchingReads();
    const result = right(
      await handleCommand(watching, account, {
        streamName: stream,
        command: { type: 'Withdraw', amount: 100 },
        cache,
      }),
    );
    expect(fromRevisions).toEqual([1n]);
    expect(result.nextRevision).toBe(2n);
    expect(await balanceOf(stream)).toBe(0);
  });

  it('runs concurrent commands on one stream one after the other: no conflict, no retry', async () => {
    const cache = new StreamStateCache();
    const stream = newStream();
    const { racing, calls } = withConcurrentWriter(0);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        handleCommand(racing, account, { streamName: stream, command: deposit(i + 1), cache }),
      ),
    );
    expect(calls.appends).toBe(20);
    expect(calls.reads).toBe(1);
    expect(await balanceOf(stream)).toBe(210);
  });

  it('answers a repeat of a command older than the cached state with its first result', async () => {
    const cache = new StreamStateCache();
    const stream = newStream();
    const commandId = randomUUID();
    const first = right(
      await handleCommand(store, account, {
        streamName: stream,
        command: deposit(10, 1),
        commandId,
        cache,
      }),
    );
    right(await handleCommand(store, account, { streamName: stream, command: deposit(5), cache }));
    const before = await countEvents();
    const again = right(
      await handleCommand(store, account, {
        streamName: stream,
        command: deposit(10, 1),
        commandId,
        cache,
      }),
    );
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    expect(again.nextRevision).toBe(first.nextRevision);
    expect(await countEvents()).toBe(before);
    // The cache still holds the stream's true state afterwards.
    right(await handleCommand(store, account, { streamName: stream, command: deposit(1), cache }));
    expect(await balanceOf(stream)).toBe(15);
  });

  it('finds the first result of a repeat in the tail written by another process', async () => {
    const cache = new StreamStateCache();
    const stream = newStream();
    right(await handleCommand(store, account, { streamName: stream, command: deposit(1), cache }));
    const commandId = randomUUID();
    const elsewhere = right(
      await handleCommand(store, account, { streamName: stream, command: deposit(2), commandId }),
    );
    const here = right(
      await handleCommand(store, account, {
        streamName: stream,
        command: deposit(2),
        commandId,
        cache,
      }),
    );
    expect(here.events.map((e) => e.id)).toEqual(elsewhere.events.map((e) => e.id));
    expect(await balanceOf(stream)).toBe(3);
  });

  it('forgets a stream whose append failed with an unknown outcome', async () => {
    const cache = new StreamStateCache();
    const stream = newStream();
    right(await handleCommand(store, account, { streamName: stream, command: deposit(1), cache }));
    const lost = intercept({
      appendToStream: async (...args) => {
        await store.appendToStream(...args); // committed, but the answer is lost
        throw new Error('connection lost');
      },
    });
    await expect(
      handleCommand(lost, account, { streamName: stream, command: deposit(2), cache }),
    ).rejects.toThrow('connection lost');
    right(await handleCommand(store, account, { streamName: stream, command: deposit(4), cache }));
    expect(await balanceOf(stream)).toBe(7);
  });

  it('tracking event ids, answers any repeat with its first result, even one now refused', async () => {
    const stream = newStream();
    const commandId = randomUUID();
    const deposit10 = { streamName: stream, command: deposit(10), commandId };
    const untracked = new StreamStateCache();
    const first = right(await handleCommand(store, account, { ...deposit10, cache: untracked }));
    right(
      await handleCommand(store, account, {
        streamName: stream,
        command: { type: 'Close' },
        cache: untracked,
      }),
    );
    // Without the ids, the cached state decides the repeat again: closed, refused.
    expect(await handleCommand(store, account, { ...deposit10, cache: untracked })).toEqual(
      E.left({ code: 'ACCOUNT_CLOSED' }),
    );

    const tracked = new StreamStateCache(10, true);
    right(
      await handleCommand(store, account, {
        streamName: stream,
        command: { type: 'Close' },
        cache: tracked,
      }),
    );
    const again = right(await handleCommand(store, account, { ...deposit10, cache: tracked }));
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('loads a state through the cache with the tail written elsewhere', async () => {
    const cache = new StreamStateCache(10, true);
    const stream = newStream();
    right(await handleCommand(store, account, { streamName: stream, command: deposit(5), cache }));
    right(await handleCommand(store, account, { streamName: stream, command: deposit(7) }));
    const { watching, fromRevisions } = watchingReads();
    expect(await loadState(watching, account, stream, cache)).toEqual({
      balance: 12,
      closed: false,
    });
    expect(fromRevisions).toEqual([1n]);
    expect(await loadState(watching, account, newStream(), cache)).toEqual(account.initialState);
  });

  it('with atLeast, takes a cached state that far along as it is, and reads a tail when behind', async () => {
    const cache = new StreamStateCache(10, true);
    const stream = newStream();
    right(await handleCommand(store, account, { streamName: stream, command: deposit(5), cache }));
    const { watching, fromRevisions } = watchingReads();
    expect(await loadState(watching, account, stream, cache, { atLeast: 0n })).toMatchObject({
      balance: 5,
    });
    expect(fromRevisions).toEqual([]);
    right(await handleCommand(store, account, { streamName: stream, command: deposit(7) }));
    // The handled event is at revision 1, beyond the cached 0: the tail is read.
    expect(await loadState(watching, account, stream, cache, { atLeast: 1n })).toMatchObject({
      balance: 12,
    });
    expect(fromRevisions).toEqual([1n]);
  });

  it('fresh: appends to a new stream without reading it first', async () => {
    const cache = new StreamStateCache(10, true);
    const stream = newStream();
    const { watching, fromRevisions } = watchingReads();
    const placed = right(
      await handleCommand(watching, account, {
        streamName: stream,
        command: deposit(5),
        cache,
        fresh: true,
        commandId: `open:${stream}`,
      }),
    );
    expect(placed.nextRevision).toBe(0n);
    expect(fromRevisions).toEqual([]);
    // The cache holds it: the next command neither reads.
    right(
      await handleCommand(watching, account, { streamName: stream, command: deposit(1), cache }),
    );
    expect(fromRevisions).toEqual([]);
    expect(await balanceOf(stream)).toBe(6);
  });

  it('fresh: a stream that does exist is read on the conflict; a repeat gets its first result', async () => {
    const stream = newStream();
    const commandId = `open:${stream}`;
    const first = right(
      await handleCommand(store, account, { streamName: stream, command: deposit(5), commandId }),
    );
    right(await handleCommand(store, account, { streamName: stream, command: deposit(2) }));
    const { watching, fromRevisions } = watchingReads();
    // A repeat through a cache that never saw the stream: no second write.
    const again = right(
      await handleCommand(watching, account, {
        streamName: stream,
        command: deposit(5),
        commandId,
        cache: new StreamStateCache(10, true),
        fresh: true,
      }),
    );
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    // Another command, also believed fresh: decided again on the stream's real state.
    const withdrawn = right(
      await handleCommand(watching, account, {
        streamName: stream,
        command: { type: 'Withdraw', amount: 7 },
        cache: new StreamStateCache(10, true),
        fresh: true,
      }),
    );
    expect(withdrawn.nextRevision).toBe(2n);
    expect(await balanceOf(stream)).toBe(0);
    expect(fromRevisions.length).toBeGreaterThan(0);
  });

  /** An account holding 10, its state in a cache that batches commands. */
  async function batchedAccountWith10() {
    const cache = new StreamStateCache(10, false, true);
    const stream = newStream();
    right(await handleCommand(store, account, { streamName: stream, command: deposit(10), cache }));
    return { cache, stream };
  }

  it('batching: commands waiting for their stream go out in one append, decided in order', async () => {
    const { cache, stream } = await batchedAccountWith10();
    let appends = 0;
    const counting = intercept({
      appendToStream: (...args) => {
        appends++;
        return store.appendToStream(...args);
      },
    });
    const run = (command: Command) =>
      handleCommand(counting, account, { streamName: stream, command, cache });
    // All five wait for the stream's turn together, and share one append.
    const results = await Promise.all([
      run(deposit(5)),
      run({ type: 'Withdraw', amount: 12 }),
      run({ type: 'Withdraw', amount: 10 }), // refused: 3 left after the one before
      run(deposit(1, 1)),
      run({ type: 'Close' }),
    ]);
    expect(appends).toBe(1);
    expect(results[2]).toEqual(E.left({ code: 'INSUFFICIENT_FUNDS', balance: 3 }));
    const [deposited, withdrawn, , feeDeposit, closedResult] = results.map((r) =>
      E.isRight(r) ? r.right : undefined,
    );
    expect(deposited?.nextRevision).toBe(1n);
    expect(withdrawn?.events.map((e) => [e.type, e.revision])).toEqual([['Withdrawn', 2n]]);
    expect(feeDeposit?.events.map((e) => [e.type, e.revision])).toEqual([
      ['Deposited', 3n],
      ['FeeCharged', 4n],
    ]);
    expect(closedResult?.nextRevision).toBe(5n);
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual([
      'Deposited',
      'Deposited',
      'Withdrawn',
      'Deposited',
      'FeeCharged',
      'Closed',
    ]);
    expect(await balanceOf(stream)).toBe(3);
  });

  it('batching: a batch that meets another writer is decided again one by one on the new state', async () => {
    const { cache, stream } = await batchedAccountWith10();
    let appends = 0;
    const racing = intercept({
      appendToStream: async (name, events, options) => {
        // Before the batch's append, another process withdraws 8.
        if (++appends === 1)
          await store.appendToStream(name, [{ type: 'Withdrawn', data: { amount: 8 } }]);
        return store.appendToStream(name, events, options);
      },
    });
    const run = (command: Command) =>
      handleCommand(racing, account, { streamName: stream, command, cache });
    const results = await Promise.all([
      run(deposit(1)),
      run({ type: 'Withdraw', amount: 3 }),
      run({ type: 'Withdraw', amount: 3 }), // 11 - 8 - 3 = 0 left: refused
    ]);
    expect(E.isRight(results[0])).toBe(true);
    expect(E.isRight(results[1])).toBe(true);
    expect(results[2]).toEqual(E.left({ code: 'INSUFFICIENT_FUNDS', balance: 0 }));
    expect(await balanceOf(stream)).toBe(0);
  });

  it('evicts the least recently used stream beyond its bound', () => {
    const cache = new StreamStateCache(2);
    const entry = { owner: account, revision: 0n, position: 1n, state: {} };
    cache.set('a', entry);
    cache.set('b', entry);
    cache.get('a', account);
    cache.set('c', entry);
    expect(cache.get('b', account)).toBeUndefined();
    expect(cache.get('a', account)).toBe(entry);
    expect(cache.get('c', {})).toBeUndefined(); // folded by another decider
  });
});
