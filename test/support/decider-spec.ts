import * as E from 'fp-ts/Either';
import { fold, type Decider, type DomainError, type DomainEvent } from '../../src/domain/decider';

/**
 * Given/when/then for pure decider tests: tests as data, no mocks, no store.
 *
 * ```ts
 * const order = spec(orderDecider);
 * order.given([placed, reserved]).when(cancel).then([cancelled]);
 * order.given([placed, cancelled]).when(cancel).then([]); // repeat: no-op
 * order.given([placed, shipped]).when(cancel).thenFails('ORDER_NOT_CANCELLABLE');
 * ```
 *
 * Each assertion throws (failing the test) when the decision differs. `then` also folds the
 * produced events through `evolve`, so an event the decider emits but cannot apply fails too.
 * Do not `await` a `when(...)`: its `then` is an assertion, not a promise's.
 */
export function spec<Command, Event extends DomainEvent, State, Error extends DomainError>(
  decider: Decider<Command, Event, State, Error>,
) {
  const when = (history: readonly Event[], command: Command) => {
    const state = fold(decider, history);
    const decision = decider.decide(command, state);
    return {
      /** The command succeeds with exactly these events, in this order (`[]`: nothing to do). */
      then(expected: readonly Event[]): void {
        if (E.isLeft(decision)) {
          throw new Error(
            `Expected events ${show(expected)}, but the decider failed with ${show(decision.left)}`,
          );
        }
        expect(decision.right).toEqual(expected);
        fold(decider, [...history, ...decision.right]);
      },
      /** The command fails with this error code (and these fields, when given). */
      thenFails(code: Error['code'], details?: Partial<Error>): void {
        if (E.isRight(decision)) {
          throw new Error(
            `Expected error ${code}, but the decider decided ${show(decision.right)}`,
          );
        }
        expect(decision.left.code).toBe(code);
        if (details) expect(decision.left).toMatchObject(details);
      },
    };
  };
  return {
    given: (history: readonly Event[]) => ({
      when: (command: Command) => when(history, command),
    }),
    when: (command: Command) => when([], command),
  };
}

function show(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
