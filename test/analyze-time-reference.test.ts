import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { postClock, resolveRecordTime } from '../src/analyze/time.js';
import type { RecordTime } from '../src/extract/types.js';
import { postClock as referenceClock, resolveRecordTime as referenceResolve } from './helpers/time-reference.js';

// Times are part of every observation's id and of the JSON contract: the formatting fast paths
// (two-digit table, cached offsets and post clock, day-in-month arithmetic) must give exactly
// what the plain Date-based version gave, including on odd and out-of-range fields.
const odd = fc.constantFrom(Number.NaN, -1, 0.5, 99.9, 1e6);
const field = (lo: number, hi: number) => fc.oneof({ weight: 8, arbitrary: fc.integer({ min: lo, max: hi }) }, { weight: 1, arbitrary: odd });

const recordTime: fc.Arbitrary<RecordTime> = fc
  .record(
    {
      year: fc.oneof(fc.integer({ min: 1990, max: 2040 }), fc.integer({ min: -5, max: 12000 }), odd),
      month: field(0, 13),
      day: field(0, 32),
      hour: field(0, 25),
      minute: field(0, 61),
      second: field(0, 61),
      fraction: fc.oneof(fc.stringMatching(/^\d{1,9}$/), fc.string({ maxLength: 11 })),
      offsetMinutes: fc.oneof(fc.integer({ min: -14 * 60, max: 14 * 60 }), fc.constantFrom(-0, 90.5, 0)),
      epoch: fc.oneof(fc.integer({ min: -1e9, max: 4e9 }), fc.double({ min: 0, max: 4e9, noNaN: true })),
    },
    { requiredKeys: ['hour', 'minute', 'second'] },
  )
  .map((t) => t as RecordTime);

const postDate = fc.oneof(
  fc.constant(null),
  fc.date({ min: new Date('1995-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date('1995-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.constant('2001-02-29T00:00:00Z'),
);

describe('resolveRecordTime matches the reference implementation', () => {
  it('on random record times and post clocks', () => {
    fc.assert(
      fc.property(recordTime, postDate, fc.integer({ min: -14 * 60, max: 14 * 60 }), (t, date, offset) => {
        // the same clock twice in a row and then another: the cached post clock must follow
        const clock = postClock(date, offset);
        expect(clock).toEqual(referenceClock(date, offset));
        expect(resolveRecordTime(t, clock)).toBe(referenceResolve(t, clock));
        const other = postClock(date, offset + 60);
        expect(resolveRecordTime(t, other)).toBe(referenceResolve(t, other));
        expect(resolveRecordTime(t, clock)).toBe(referenceResolve(t, clock));
      }),
      { numRuns: 5_000 },
    );
  });

  it('on every day of every month of leap and common years, with and without a year', () => {
    const clock = postClock('2001-03-01T12:00:00+00:00', 0);
    for (const year of [1900, 1999, 2000, 2001, 2004, 2100, 2400, undefined]) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= 31; day++) {
          const t: RecordTime = { month, day, hour: 12, minute: 0, second: 0 };
          if (year !== undefined) t.year = year;
          expect(resolveRecordTime(t, clock)).toBe(referenceResolve(t, clock));
        }
      }
    }
  });
});
