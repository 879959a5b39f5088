/**
 * The event store port: what the rest of orderflow is written against (see event-store.ts),
 * and its adapters.
 */
export * from './event-store';
export { createPostgresEventStore } from './postgres/postgres-event-store';
