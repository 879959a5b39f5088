import * as E from 'fp-ts/Either';
import { assertNever, type Decider } from '../../src/domain/decider';
import { spec } from './decider-spec';

// A tiny wallet: enough states, events and errors to exercise every branch of the helper.
type Command =
  { type: 'Open'; walletId: string } | { type: 'Spend'; amount: number } | { type: 'Break' };
type Event =
  | { type: 'Opened'; data: { walletId: string } }
  | { type: 'Spent'; data: { amount: number } }
  | { type: 'Broken'; data: Record<string, never> };
type State = { status: 'none' } | { status: 'open'; spent: number };
type WalletError = { code: 'NOT_OPEN' } | { code: 'LIMIT_EXCEEDED'; limit: number };

const limit = 100;

const wallet: Decider<Command, Event, State, WalletError> = {
  initialState: { status: 'none' },
  decide(command, state) {
    switch (command.type) {
      case 'Open':
        if (state.status === 'open') return E.right([]);
        return E.right([{ type: 'Opened', data: { walletId: command.walletId } }]);
      case 'Spend':
        if (state.status !== 'open') return E.left({ code: 'NOT_OPEN' });
        if (state.spent + command.amount > limit) return E.left({ code: 'LIMIT_EXCEEDED', limit });
        return E.right([{ type: 'Spent', data: { amount: command.amount } }]);
      case 'Break':
        // An event evolve rejects: the helper must notice.
        return E.right([{ type: 'Broken', data: {} }]);
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'Opened':
        return { status: 'open', spent: 0 };
      case 'Spent':
        return state.status === 'open'
          ? { ...state, spent: state.spent + event.data.amount }
          : state;
      case 'Broken':
        throw new Error('evolve cannot apply Broken');
      default:
        return assertNever(event);
    }
  },
};

const opened: Event = { type: 'Opened', data: { walletId: 'w1' } };
const spent = (amount: number): Event => ({ type: 'Spent', data: { amount } });
const walletSpec = spec(wallet);

describe('decider spec helper: then', () => {
  it('passes when the decider emits exactly the expected events', () => {
    walletSpec
      .given([opened])
      .when({ type: 'Spend', amount: 10 })
      .then([spent(10)]);
    walletSpec.when({ type: 'Open', walletId: 'w1' }).then([opened]);
    walletSpec.given([opened]).when({ type: 'Open', walletId: 'w1' }).then([]);
  });

  it('folds the given events before deciding', () => {
    expect(() =>
      walletSpec
        .given([opened, spent(60)])
        .when({ type: 'Spend', amount: 50 })
        .then([spent(50)]),
    ).toThrow(/LIMIT_EXCEEDED/);
  });

  it('fails when the events differ', () => {
    expect(() =>
      walletSpec
        .given([opened])
        .when({ type: 'Spend', amount: 10 })
        .then([spent(11)]),
    ).toThrow();
  });

  it('fails when the decider emits events but none were expected', () => {
    expect(() => walletSpec.when({ type: 'Open', walletId: 'w1' }).then([])).toThrow();
  });

  it('fails when the decider emits nothing but events were expected', () => {
    expect(() =>
      walletSpec.given([opened]).when({ type: 'Open', walletId: 'w1' }).then([opened]),
    ).toThrow();
  });

  it('fails when the decider returns an error', () => {
    expect(() => walletSpec.when({ type: 'Spend', amount: 1 }).then([spent(1)])).toThrow(
      /NOT_OPEN/,
    );
  });

  it('fails when evolve cannot apply an emitted event', () => {
    expect(() =>
      walletSpec
        .given([opened])
        .when({ type: 'Break' })
        .then([{ type: 'Broken', data: {} }]),
    ).toThrow(/evolve cannot apply/);
  });
});

describe('decider spec helper: thenFails', () => {
  it('passes on the expected code, and on matching details', () => {
    walletSpec.when({ type: 'Spend', amount: 1 }).thenFails('NOT_OPEN');
    walletSpec
      .given([opened])
      .when({ type: 'Spend', amount: 101 })
      .thenFails('LIMIT_EXCEEDED', { limit: 100 });
  });

  it('fails on another code', () => {
    expect(() =>
      walletSpec.when({ type: 'Spend', amount: 1 }).thenFails('LIMIT_EXCEEDED'),
    ).toThrow();
  });

  it('fails when the details differ', () => {
    expect(() =>
      walletSpec
        .given([opened])
        .when({ type: 'Spend', amount: 101 })
        .thenFails('LIMIT_EXCEEDED', { limit: 50 }),
    ).toThrow();
  });

  it('fails when the decider succeeds', () => {
    expect(() =>
      walletSpec.given([opened]).when({ type: 'Spend', amount: 1 }).thenFails('NOT_OPEN'),
    ).toThrow(/Expected error NOT_OPEN/);
  });
});
