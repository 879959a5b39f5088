import type { ClientConfig, Pool } from 'pg';
import type { EventStore } from '../eventstore';
import {
  type Consumer,
  type ConsumerLogger,
  defaultRetryPolicy,
  type RetryPolicy,
  silentLogger,
} from './consumer';
import { type LagCounter, sqlLagCounter } from './lag';

export interface ConsumerRunnerOptions {
  consumer: Consumer;
  store: EventStore;
  /** Checkpoints, dead letters and the projections' transactions. */
  pool: Pool;
  /** Settings of the dedicated lock connection; the pool's by default. */
  lockConnection?: ClientConfig;
  retry?: Partial<RetryPolicy>;
  /** Longest sleep between reads when nothing arrives (default 1000 ms). */
  pollMs?: number;
  /**
   * Least time between two checkpoint writes that only record progress: a reactor's low-water
   * mark, or a filtered consumer moving past events it skipped (default 100 ms). A projection's
   * batch always commits its checkpoint with its rows.
   */
  checkpointIntervalMs?: number;
  /**
   * Least time between two reads of the event store (default 10 ms). Every append wakes
   * every consumer of the process; under load this gathers what arrives meanwhile into one
   * read and one batch instead of a read per append. A read after a quiet spell is not held.
   */
  minReadIntervalMs?: number;
  /** Standby's delay between tries for the lock (default 500 ms). */
  acquireRetryMs?: number;
  /** Lock connection liveness check while leading (default 5000 ms). */
  heartbeatMs?: number;
  /** Retrying or making no progress for longer than this is `stuck` (default 30 s). */
  stuckAfterMs?: number;
  /** Lag is counted up to this many events (default 100,000). */
  lagCap?: number;
  countLag?: LagCounter;
  logger?: ConsumerLogger;
}

export type ResolvedOptions = Required<Omit<ConsumerRunnerOptions, 'lockConnection' | 'retry'>> & {
  retry: RetryPolicy;
  lockConnection: ClientConfig;
};

export function resolveOptions(options: ConsumerRunnerOptions): ResolvedOptions {
  return {
    consumer: options.consumer,
    store: options.store,
    pool: options.pool,
    pollMs: options.pollMs ?? 1_000,
    checkpointIntervalMs: options.checkpointIntervalMs ?? 100,
    minReadIntervalMs: options.minReadIntervalMs ?? 10,
    acquireRetryMs: options.acquireRetryMs ?? 500,
    heartbeatMs: options.heartbeatMs ?? 5_000,
    stuckAfterMs: options.stuckAfterMs ?? 30_000,
    lagCap: options.lagCap ?? 100_000,
    countLag: options.countLag ?? sqlLagCounter(options.pool),
    logger: options.logger ?? silentLogger,
    retry: { ...defaultRetryPolicy, ...options.retry },
    // A pool's options are a client's settings plus pool sizing, which a Client ignores.
    lockConnection: options.lockConnection ?? options.pool.options,
  };
}
