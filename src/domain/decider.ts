import type { Either } from 'fp-ts/Either';

/**
 * The decider pattern (Jérémie Chassaing): an aggregate's whole behaviour as three pure
 * values. `src/domain` holds only deciders, codecs and types: no IO, no clock, no random.
 * Time and ids arrive in the command (`now`, `orderId`), never from inside `decide`.
 */

/**
 * A domain event as a decider produces and folds it: a discriminating `type` and a
 * JSON-safe `data` payload (ISO-8601 strings for time, integer minor units for money).
 * Ids, revisions and metadata belong to the event store, not to the domain.
 */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/**
 * An expected failure of a command, returned as a value (`E.left`), never thrown.
 * `code` is stable and machine-readable (`'ORDER_NOT_CANCELLABLE'`); the API maps it to a
 * status code once. Anything else a decider wants to report goes in extra fields, e.g.
 * `{ code: 'ORDER_NOT_CANCELLABLE', status: 'shipped' }`.
 */
export interface DomainError {
  readonly code: string;
}

export interface Decider<
  Command,
  Event extends DomainEvent,
  State,
  Error extends DomainError = DomainError,
> {
  /**
   * What the command means in this state: the events to record, `E.right([])` when there is
   * nothing to do (an idempotent repeat: "already done"), or the domain error.
   */
  decide(command: Command, state: State): Either<Error, readonly Event[]>;
  /** The state after one event. Only transitions: it never throws and never rejects. */
  evolve(state: State, event: Event): State;
  /** The state of a stream with no events. */
  readonly initialState: State;
  /**
   * The schema version written with each event (1 when absent). Bump an event's version
   * when its `data` shape changes, so an upcaster can tell old payloads from new on read.
   */
  readonly schemaVersion?: (event: Event) => number;
}

/**
 * The end of an exhaustive `switch` over a discriminated union: it fails to compile when a
 * case is missing, and throws if a value the types ruled out (bad stored data) still arrives.
 */
export function assertNever(value: never, message = 'Unexpected value'): never {
  throw new Error(`${message}: ${JSON.stringify(value)}`);
}

/** The state after `events`, from the decider's initial state. */
export function fold<Event extends DomainEvent, State>(
  decider: Pick<Decider<unknown, Event, State>, 'evolve' | 'initialState'>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState);
}
