import { describe, expect, it } from 'vitest';
import { postClock, resolveRecordTime } from '../src/analyze/time.js';

const seedClock = postClock('2001-09-06T10:49:20+01:00', 60);

describe('resolveRecordTime', () => {
  it('completes a Snort time (no year) from the post and keeps the post offset', () => {
    expect(resolveRecordTime({ month: 9, day: 6, hour: 7, minute: 10, second: 23, fraction: '613276' }, seedClock)).toBe(
      '2001-09-06T07:10:23.613276+01:00',
    );
  });

  it('keeps a printed year', () => {
    expect(resolveRecordTime({ year: 2001, month: 9, day: 6, hour: 0, minute: 2, second: 34 }, seedClock)).toBe('2001-09-06T00:02:34+01:00');
  });

  it('puts a December alert quoted in a January post into the year before', () => {
    const jan = postClock('2002-01-02T09:00:00+00:00', 0);
    expect(resolveRecordTime({ month: 12, day: 31, hour: 23, minute: 59, second: 1 }, jan)).toBe('2001-12-31T23:59:01+00:00');
  });

  it('dates a bare time from the post, or the day before when it is later than the post', () => {
    const clock = postClock('2026-11-25T09:10:00+13:00', 13 * 60);
    expect(resolveRecordTime({ hour: 8, minute: 0, second: 0 }, clock)).toBe('2026-11-25T08:00:00+13:00');
    expect(resolveRecordTime({ hour: 19, minute: 2, second: 34, fraction: '000000' }, clock)).toBe('2026-11-24T19:02:34.000000+13:00');
  });

  it('dates a bare time from a post dated only by its day, on that day', () => {
    const clock = postClock('2014-06-03', 0);
    expect(resolveRecordTime({ hour: 15, minute: 48, second: 2 }, clock)).toBe('2014-06-03T15:48:02+00:00');
    expect(resolveRecordTime({ month: 6, day: 2, hour: 23, minute: 0, second: 0 }, clock)).toBe('2014-06-02T23:00:00+00:00');
  });

  it('renders an epoch time at the post offset', () => {
    expect(resolveRecordTime({ hour: 0, minute: 0, second: 0, epoch: 999760223.5 }, seedClock)).toBe('2001-09-06T08:10:23.5+01:00');
  });

  it('uses a zone printed in the record over the post offset', () => {
    expect(resolveRecordTime({ year: 2026, month: 11, day: 26, hour: 4, minute: 44, second: 13, offsetMinutes: 0 }, seedClock)).toBe(
      '2026-11-26T04:44:13+00:00',
    );
  });

  it('is null without an anchor, and for impossible dates', () => {
    expect(resolveRecordTime({ hour: 1, minute: 2, second: 3 }, postClock(null, 0))).toBeNull();
    expect(resolveRecordTime({ year: 2001, month: 2, day: 30, hour: 1, minute: 2, second: 3 }, seedClock)).toBeNull();
    expect(resolveRecordTime(null, seedClock)).toBeNull();
  });
});
