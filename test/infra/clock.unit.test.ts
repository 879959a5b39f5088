import { isoNow } from '../../src/infra/clock';

describe('isoNow', () => {
  afterEach(() => jest.useRealTimers());

  it('is the current time as ISO-8601, following the clock from one millisecond to the next', () => {
    jest.useFakeTimers({ now: new Date('2026-03-04T05:06:07.008Z') });
    expect(isoNow()).toBe('2026-03-04T05:06:07.008Z');
    expect(isoNow()).toBe('2026-03-04T05:06:07.008Z');
    jest.advanceTimersByTime(1);
    expect(isoNow()).toBe('2026-03-04T05:06:07.009Z');
    jest.setSystemTime(new Date('2027-01-01T00:00:00.000Z'));
    expect(isoNow()).toBe('2027-01-01T00:00:00.000Z');
  });
});
