/*
 * Both readers page through all of es_events from position 0 in pages of `page` events,
 * start over at the end, and count events read; one reader, one query at a time.
 */
import type { Client } from 'pg';
import type { EventStore } from '../../src/eventstore';
import { closedLoop, type Phase } from './timing';

/** B2: the same columns, paging and order as `readAll`, straight from `pg`. */
export function rawSelectPages(client: Client, page: number): Phase {
  let from = '0';
  return closedLoop([client], async () => {
    const { rows } = await rawPage(client, from, page);
    from = rows.length < page ? '0' : rows[rows.length - 1]!.position;
    return rows.length;
  });
}

/** Ours: `readAll` with `maxCount`. */
export function readAllPages(store: EventStore, page: number): Phase {
  let from = 0n;
  return closedLoop([store], async () => {
    const events = await store.readAll({ fromPosition: from, maxCount: page });
    from = events.length < page ? 0n : events[events.length - 1]!.position;
    return events.length;
  });
}

/** Events in one full pass of each reader: they must read the same rows to be compared. */
export async function fullPassCounts(
  store: EventStore,
  client: Client,
  page: number,
): Promise<{ ours: number; raw: number }> {
  let ours = 0;
  for (let from = 0n; ;) {
    const events = await store.readAll({ fromPosition: from, maxCount: page });
    ours += events.length;
    if (events.length < page) break;
    from = events[events.length - 1]!.position;
  }
  let raw = 0;
  for (let from = '0'; ;) {
    const { rows } = await rawPage(client, from, page);
    raw += rows.length;
    if (rows.length < page) break;
    from = rows[rows.length - 1]!.position;
  }
  return { ours, raw };
}

function rawPage(client: Client, from: string, page: number) {
  return client.query<{ position: string }>({
    name: 'bench_select', // prepared, as the store prepares its readAll query
    text: `SELECT position, event_id, stream_name, revision, event_type, data, metadata, created_at
           FROM es_events WHERE position > $1 ORDER BY position LIMIT $2`,
    values: [from, page],
  });
}
