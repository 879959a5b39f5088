import { Client } from 'pg';
import type { EventStore } from '../../src/eventstore';
import { closedLoop, type Phase } from './timing';
import { StreamCursor } from './workload';

/**
 * B1: autocommit single-row INSERTs into `bench_baseline` (es_events' shape and indexes),
 * one loop per connection, rows built exactly as the store's events are. Units are rows.
 */
export async function baselineInserts(
  connectionString: string,
  writers: number,
): Promise<{ phase: Phase; close: () => Promise<void> }> {
  const clients = await connectClients(connectionString, writers);
  let position = 0; // increasing, like the store's; one process, so no races
  const workers = clients.map((client) => ({ client, cursor: new StreamCursor(10, 1) }));
  const phase = closedLoop(workers, async ({ client, cursor }) => {
    const { stream, expected, events } = cursor.next();
    const e = events[0]!;
    position += 1;
    // Prepared once per connection, as the store prepares its es_append call.
    await client.query({
      name: 'bench_insert',
      text: `INSERT INTO bench_baseline
               (position, event_id, stream_name, revision, event_type, data, metadata)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      values: [position, e.id, stream, expected + 1, e.type, e.data, e.metadata],
    });
    cursor.committed();
    return 1;
  });
  return { phase, close: async () => void (await Promise.all(clients.map((c) => c.end()))) };
}

/**
 * Ours: `appendToStream` from concurrent writers, each on its own streams, each append
 * expecting the exact revision its writer knows (`no_stream` for a new stream), as a
 * command handler appends. Units are events.
 */
export function storeAppends(
  store: EventStore,
  options: { writers: number; appendsPerStream: number; eventsPerAppend: number },
): Phase {
  const workers = Array.from(
    { length: options.writers },
    () => new StreamCursor(options.appendsPerStream, options.eventsPerAppend),
  );
  return closedLoop(workers, async (cursor) => {
    const { stream, expected, events } = cursor.next();
    await store.appendToStream(stream, events, { expectedRevision: expectedOf(expected) });
    cursor.committed();
    return events.length;
  });
}

/** The expected revision for an append after `lastRevision` (-1: the stream is new). */
export function expectedOf(lastRevision: number): 'no_stream' | bigint {
  return lastRevision < 0 ? 'no_stream' : BigInt(lastRevision);
}

async function connectClients(connectionString: string, count: number): Promise<Client[]> {
  const clients: Client[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const client = new Client({ connectionString });
      await client.connect();
      clients.push(client);
    }
    return clients;
  } catch (error) {
    await Promise.all(clients.map((c) => c.end()));
    throw error;
  }
}
