/** The consumer's handler threw: the only failure that counts towards parking an event. */
export class HandlerError extends Error {
  override readonly name = 'HandlerError';
  constructor(override readonly cause: unknown) {
    super(describeError(cause).message, { cause });
  }
}

/**
 * This instance may no longer be the leader: its lock connection ended, or the checkpoint
 * was moved by someone else. Whatever it was doing is rolled back.
 */
export class LostLeadershipError extends Error {
  override readonly name = 'LostLeadershipError';
}

/** `stop()` interrupted a retry delay; nothing was committed. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

/** Calls the handler, marking anything it throws as a handler failure. */
export async function callHandler(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    throw new HandlerError(error);
  }
}

export function describeError(error: unknown): { message: string; stack: string | null } {
  const inner = error instanceof HandlerError ? error.cause : error;
  if (inner instanceof Error)
    return { message: inner.message || inner.name, stack: inner.stack ?? null };
  return { message: String(inner), stack: null };
}
