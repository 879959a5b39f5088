/**
 * Checkpointed consumers: projections (exactly-once read-model updates) and reactors
 * (at-least-once process managers), one active instance per name, poison events parked.
 */
export * from './consumer';
export { consumerMigrations } from './schema';
export { ConsumerRunner, createConsumerRunner, type ConsumerRunnerOptions } from './runner';
export { listParked, countParked, type ParkedEvent } from './dead-letters';
export { retryParked, type RetryParkedOptions, type RetriedStream } from './retry-parked';
export { consumersReadiness, readConsumerStatuses, type ConsumerReadiness } from './status';
export { leaderApplicationName, consumerLockKey } from './leadership';
export { sqlLagCounter, type LagCounter } from './lag';
export { onCheckpointMoved } from './progress-signal';
export { handleWithStatement } from './batch-statement';
