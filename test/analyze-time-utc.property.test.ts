import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utcMs } from '../src/analyze/time.js';

// utcMs caches the day's Date.UTC and adds the clock by hand: it must be Date.UTC's number for
// every input, in range or not (out-of-range and fractional fields go to Date.UTC itself)
describe('utcMs', () => {
  const field = (max: number) => fc.oneof(fc.integer({ min: 0, max }), fc.integer({ min: -5, max: max + 5 }), fc.double({ noNaN: false }));
  it('equals Date.UTC on generated fields', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: -300000, max: 300000 }), fc.constant(275760), fc.double()),
        field(13), field(32), field(24), field(60), field(61),
        (year, month, day, hour, minute, second) => {
          expect(Object.is(utcMs(year, month, day, hour, minute, second), Date.UTC(year, month - 1, day, hour, minute, second))).toBe(true);
        },
      ),
      { numRuns: 20000 },
    );
  });
  it('equals Date.UTC for the records of one day in a row (the cache) and at the TimeClip edge', () => {
    for (let s = 0; s <= 60; s++) expect(utcMs(2001, 9, 6, 23, 59, s)).toBe(Date.UTC(2001, 8, 6, 23, 59, s));
    expect(Number.isNaN(utcMs(275760, 9, 13, 0, 0, 1))).toBe(Number.isNaN(Date.UTC(275760, 8, 13, 0, 0, 1)));
    expect(utcMs(275760, 9, 13, 0, 0, 0)).toBe(Date.UTC(275760, 8, 13, 0, 0, 0));
    expect(utcMs(99, 1, 1, 0, 0, 0)).toBe(Date.UTC(99, 0, 1));
  });
});
