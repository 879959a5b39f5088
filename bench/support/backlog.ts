import type { Client } from 'pg';

/**
 * Events of the log still ahead of each consumer's checkpoint (a reactor's checkpoint is its
 * low-water mark), by consumer name. Taken when the full phase's last order was processed:
 * the figure counts OrderProcessed, and what follows it (the inventory reactions' commits,
 * the read models) must keep up too, or the rate cannot be sustained.
 */
export async function consumerBacklog(meta: Client): Promise<Record<string, number>> {
  const { rows } = await meta.query<{ name: string; behind: string }>(
    `SELECT c.name, (SELECT count(*) FROM es_events e WHERE e.position > c.position) AS behind
       FROM consumer_checkpoints c ORDER BY c.name`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.behind)]));
}

/**
 * The consumers whose checkpoint fell behind by more than a tenth of the events the phase
 * wrote: they do not keep up with the measured rate, or (a reactor) one slow event holds back
 * the low-water mark, and a restart would replay all that. One that keeps up is a batch or
 * two behind.
 */
export function laggingConsumers(
  backlog: Readonly<Record<string, number>>,
  phaseEvents: number,
): string[] {
  return Object.entries(backlog)
    .filter(([, behind]) => behind > phaseEvents / 10)
    .map(
      ([name, behind]) =>
        `${name}: its checkpoint was ${behind} events behind when the full phase's last order ` +
        `was processed (the phase wrote ${phaseEvents}): it does not keep up with this rate, ` +
        `or something holds its checkpoint back`,
    );
}
