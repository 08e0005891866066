// parseTimeAt's dated times are written out as literals (withDate in argus-fields.ts) instead of
// { ...clock, month, day } with the year added after: held here to that spread, key for key and in
// key order, on every dated shape ra prints, with and without a fraction and a year.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fullYear, parseTimeAt } from '../src/extract/argus-fields.js';
import type { RecordTime } from '../src/extract/types.js';

const two = (n: number): string => String(n).padStart(2, '0');

/** What the spread gave: the clock's keys, then month and day, then the year when there is one. */
function spreadForm(hour: number, minute: number, second: number, fraction: string | undefined, month: number, day: number, year: number | undefined): RecordTime {
  const clock: RecordTime = fraction !== undefined ? { hour, minute, second, fraction } : { hour, minute, second };
  const out: RecordTime = { ...clock, month, day };
  if (year !== undefined) out.year = year;
  return out;
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

describe('parseTimeAt on dated times', () => {
  it('gives { ...clock, month, day[, year] } in that key order', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 60 }),
        fc.option(fc.stringMatching(/^\d{1,9}$/), { nil: undefined }),
        fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 1990, max: 2030 }),
        fc.constantFrom('iso', 'dmy-name', 'wd-md', 'wd-mon', 'wd-mon-year', 'mon', 'md', 'mdy', 'ymd-slash', 'ymd-dash'),
        (hour, minute, second, fraction, month, day, year, shape) => {
          const clock = `${two(hour)}:${two(minute)}:${two(second)}${fraction !== undefined ? `.${fraction}` : ''}`;
          const mon = MONTH_NAMES[month - 1] as string;
          const yy = two(year % 100);
          let tokens: string[];
          let expectYear: number | undefined;
          switch (shape) {
            case 'iso': tokens = [`${year}-${two(month)}-${two(day)}T${clock}`]; expectYear = year; break;
            case 'dmy-name': tokens = [two(day), mon, yy, clock]; expectYear = fullYear(yy); break;
            case 'wd-md': tokens = ['Thu', `${month}/${day}`, clock]; break;
            case 'wd-mon': tokens = ['Thu', mon, two(day), clock]; break;
            case 'wd-mon-year': tokens = ['Thu', mon, two(day), clock, String(year)]; expectYear = year; break;
            case 'mon': tokens = [mon, two(day), clock]; break;
            case 'md': tokens = [`${month}/${day}`, clock]; break;
            case 'mdy': tokens = [`${month}/${day}/${yy}`, clock]; expectYear = fullYear(yy); break;
            case 'ymd-slash': tokens = [`${year}/${month}/${day}`, clock]; expectYear = year; break;
            default: tokens = [`${year}-${two(month)}-${two(day)}`, clock]; expectYear = year;
          }
          const got = parseTimeAt(tokens, 0);
          // an ISO time's fraction must be 1-9 digits and its seconds two: the clock decides what is read
          if (got === null) return;
          seen.add(shape);
          const t = got.time;
          const want = spreadForm(hour, minute, second, fraction, month, day, expectYear);
          expect(t).toStrictEqual(want);
          expect(Object.keys(t)).toEqual(Object.keys(want));
          expect(JSON.stringify(t)).toBe(JSON.stringify(want));
        },
      ),
      { numRuns: 3000 },
    );
    expect(seen.size).toBe(10);
  });
});
