import { Pool } from 'pg';
import {
  handleWithStatement,
  NOT_ONE_STATEMENT,
  type ProjectionConsumer,
} from '../../src/consumers';
import { runFencedStatement } from '../../src/consumers/batch-statement';
import { LostLeadershipError } from '../../src/consumers/errors';
import { aroundQuery } from '../support/pool-proxy';
import {
  appendMany,
  consumerTestbed,
  countRows,
  moveCheckpointFarAhead,
  rowsStatement,
  storedCheckpoint,
  waitFor,
} from './fixtures/helpers';

// A projection with a `batchStatement` has its batches sent as ONE statement with the
// checkpoint's compare-and-set folded in. It must keep everything the transaction path
// guarantees: the rows and the checkpoint move together or not at all, a moved checkpoint
// rolls the batch back, and a poison event is still found and parked.

const bed = consumerTestbed();

function statementProjection(name: string, prefix = name): ProjectionConsumer {
  const batchStatement = rowsStatement(name, 'statement');
  return {
    kind: 'projection',
    name,
    filter: { streamPrefixes: [prefix] },
    batchStatement,
    handle: handleWithStatement(batchStatement),
  };
}
describe('one-statement projection batches', () => {
  it('sends each batch as one statement, no transaction, and moves the checkpoint with it', async () => {
    const { h } = bed;
    const name = 'stmt-batch';
    const last = await appendMany(h.store, 120, { perAppend: 40, prefix: name });
    const sent: string[] = [];
    const pool = aroundQuery(
      h.pool,
      (args, query) => {
        const [sql] = args as [string | { text?: string }];
        const text = typeof sql === 'string' ? sql : (sql.text ?? '');
        sent.push(text.trim().split(/\s+/)[0] ?? '');
        return query(...args);
      },
      { clients: true },
    );
    bed.run({ consumer: { ...statementProjection(name), batchSize: 50 }, pool });
    await waitFor(async () => (await countRows(h.pool, name)) === 120, '120 rows');
    await waitFor(async () => (await storedCheckpoint(h.pool, name)) >= last, 'checkpoint');

    const { rows } = await h.pool.query<{ writer: string }>(
      'SELECT DISTINCT writer FROM proj_rows WHERE consumer = $1',
      [name],
    );
    expect(rows).toEqual([{ writer: 'statement' }]);
    expect(sent).not.toContain('BEGIN');
    expect(sent).not.toContain('COMMIT');
    // 120 events in batches of at most 50: three statements, each ending in the checkpoint.
    expect(sent.filter((s) => s === 'WITH')).toHaveLength(3);
  });

  it('writes a batch answered NOT_ONE_STATEMENT through handle, in one transaction', async () => {
    const { h } = bed;
    const name = 'stmt-not-one';
    await appendMany(h.store, 120, { perAppend: 40, prefix: name });
    const statement = rowsStatement(name, 'statement');
    const byHandle = handleWithStatement(rowsStatement(name, 'handle'));
    const handled: number[] = [];
    bed.run({
      consumer: {
        kind: 'projection',
        name,
        filter: { streamPrefixes: [name] },
        batchSize: 50,
        // Full batches are "not one statement"; the last, shorter one is.
        batchStatement: (events) => (events.length === 50 ? NOT_ONE_STATEMENT : statement(events)),
        handle: async (events, tx) => {
          handled.push(events.length);
          await byHandle(events, tx);
        },
      },
    });
    await waitFor(async () => (await countRows(h.pool, name)) === 120, '120 rows');
    // Two batches of 50 through handle whole (not event by event), then 20 as a statement.
    expect(handled).toEqual([50, 50]);
    const { rows } = await h.pool.query<{ writer: string; n: number }>(
      `SELECT writer, count(*)::int AS n FROM proj_rows WHERE consumer = $1
        GROUP BY writer ORDER BY writer`,
      [name],
    );
    expect(rows).toEqual([
      { writer: 'handle', n: 100 },
      { writer: 'statement', n: 20 },
    ]);
  });

  it('writes nothing and stands down when another instance moved the checkpoint', async () => {
    const { h } = bed;
    const name = 'stmt-cas';
    await appendMany(h.store, 5, { perAppend: 5, prefix: name });
    const warnings: string[] = [];
    const runner = bed.run({
      consumer: statementProjection(name),
      pollMs: 10_000,
      logger: {
        info: () => undefined,
        error: () => undefined,
        warn: (_details, message) => warnings.push(message),
      },
    });
    await waitFor(
      async () => (await countRows(h.pool, name)) === 5 && runner.state === 'live',
      'live',
    );

    // A zombie instance moves the checkpoint far ahead; then an event arrives.
    const ahead = await moveCheckpointFarAhead(h.pool, name);
    await h.store.appendToStream(`${name}-x`, [{ type: 'ItemAdded', data: {} }]);
    await waitFor(() => warnings.includes('consumer deposed'), 'deposed by the compare-and-set');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await countRows(h.pool, name)).toBe(5); // the statement it lost was rolled back
    expect(await storedCheckpoint(h.pool, name)).toBe(ahead);
  });

  it('rolls the statement back on a moved checkpoint and keeps its connection', async () => {
    const { h } = bed;
    const name = 'stmt-fence';
    await h.pool.query(
      `INSERT INTO consumer_checkpoints (name, kind, position) VALUES ($1, 'projection', 7)`,
      [name],
    );
    const pool = new Pool({ connectionString: h.db.connectionString, max: 1 });
    try {
      const pid = async () =>
        (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const before = await pid();
      const [event] = await h.store.readAll({ maxCount: 1 });
      const statement = rowsStatement(name, 'statement')([event!]);

      await expect(runFencedStatement(pool, name, statement, 6n, 9n)).rejects.toThrow(
        LostLeadershipError,
      );
      expect(await countRows(h.pool, name)).toBe(0);
      expect(await storedCheckpoint(h.pool, name)).toBe(7n);
      expect(await pid()).toBe(before);

      await runFencedStatement(pool, name, statement, 7n, 9n);
      expect(await countRows(h.pool, name)).toBe(1);
      expect(await storedCheckpoint(h.pool, name)).toBe(9n);
      await runFencedStatement(pool, name, undefined, 9n, 12n); // nothing to write: moves only
      expect(await storedCheckpoint(h.pool, name)).toBe(12n);
    } finally {
      await pool.end();
    }
  });

  it('finds the poison event of a refused statement, parks it and applies the others', async () => {
    const { h } = bed;
    const name = 'stmt-poison';
    for (const [i, poison] of [false, false, true, false].entries()) {
      await h.store.appendToStream(`${name}-${i}`, [{ type: 'ItemAdded', data: { poison } }]);
    }
    bed.run({
      consumer: statementProjection(name),
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 },
    });
    await waitFor(async () => (await countRows(h.pool, name)) === 3, 'the other three rows');
    const parked = await h.pool.query<{ stream_name: string; error_message: string }>(
      'SELECT stream_name, error_message FROM consumer_dead_letters WHERE consumer_name = $1',
      [name],
    );
    expect(parked.rows).toEqual([
      { stream_name: `${name}-2`, error_message: expect.stringContaining('uuid') as string },
    ]);
  });
});
