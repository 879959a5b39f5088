import type { Pool } from 'pg';
import type { EventFilter } from '../eventstore';

/** Counts the events matching `filter` after `position`, stopping at `cap`. */
export type LagCounter = (
  position: bigint,
  filter: EventFilter | undefined,
  cap: number,
) => Promise<number>;

/**
 * Counts on the PostgreSQL event store's `es_events` table: positions are not dense, so lag
 * is a count of events, never a difference of positions. The `LIMIT` keeps the cost bounded
 * on a consumer that is far behind. (Another adapter supplies its own counter.)
 */
export function sqlLagCounter(pool: Pool): LagCounter {
  return async (position, filter, cap) => {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT 1 FROM es_events
          WHERE position > $1
            AND ($2::text[] IS NULL OR event_type = ANY ($2::text[]))
            AND ($3::text[] IS NULL
                 OR EXISTS (SELECT 1 FROM unnest($3::text[]) AS p WHERE starts_with(stream_name, p)))
          ORDER BY position
          LIMIT $4) AS pending`,
      [position.toString(), filter?.eventTypes ?? null, filter?.streamPrefixes ?? null, cap],
    );
    return rows[0]?.n ?? 0;
  };
}
