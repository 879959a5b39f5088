import { setMaxListeners } from 'node:events';
import type { RetryPolicy } from './consumer';

/** The delay after the `attempt`-th failure (1-based): exponential, capped, equal jitter. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Resolves after `ms`, or as soon as the signal aborts; leaves no timer behind either way. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Lets any number of `sleep`s and `untilAborted`s watch `signal` at once. Each removes its
 * listener when it ends, so many at a time (a burst of charges waiting out their backoff on
 * the shutdown signal) is no leak, and Node's warning past ten listeners would mislead.
 */
export function allowManyWaiters(signal: AbortSignal): AbortSignal {
  setMaxListeners(0, signal);
  return signal;
}

/** Settles with `promise`, or resolves early when the signal aborts (the promise runs on). */
export function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    promise.then(done, (error: unknown) => {
      signal.removeEventListener('abort', done);
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}
