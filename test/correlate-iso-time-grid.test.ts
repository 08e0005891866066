// isoTimeMs against Date.parse on a whole grid of the layout's fields, not a sample: every month
// 0-13 and day 0-32 (days past a month's end roll over in V8, day 0 and 32 do not parse) of leap,
// century and pre-1970 years, hours 23 and 24, second 60, offsets at and past their ranges, and
// fractions of 1, 3, 9 and 10 digits. Pins the old behaviour (Date.parse) on the new code.
import { describe, expect, it } from 'vitest';
import { isoTimeMs } from '../src/correlate/iso-time.js';

describe('isoTimeMs on a grid of the layout', () => {
  it('is Date.parse for every field value near the ranges', () => {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    const years = [0, 1, 4, 100, 400, 1600, 1900, 1969, 1970, 2000, 2001, 2024, 2026, 2100, 9999];
    const clocks = ['00:00:00', '23:59:59', '24:00:00', '23:59:60'];
    const tails = ['Z', '-00:00', '+23:59', '-23:59', '+24:00', '+14:60', '.5Z', '.123456789+05:30', '.1234567890Z', '.999-12:00'];
    const wrong: string[] = [];
    for (const y of years)
      for (let m = 0; m <= 13; m++)
        for (let d = 0; d <= 32; d++)
          for (const c of clocks)
            for (const t of tails) {
              const s = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${c}${t}`;
              if (!Object.is(isoTimeMs(s), Date.parse(s))) wrong.push(s);
            }
    expect(wrong.slice(0, 10)).toEqual([]);
    // what the grid stands on: V8 rolls a day past the month's end over, and hour 24 into the next day
    expect(Date.parse('2026-02-30T00:00:00Z')).toBe(Date.UTC(2026, 2, 2));
    expect(isoTimeMs('2026-04-31T00:00:00Z')).toBe(Date.UTC(2026, 4, 1));
    expect(isoTimeMs('2026-01-01T24:00:00Z')).toBe(Date.UTC(2026, 0, 2));
    expect(isoTimeMs('2026-01-01T23:59:60Z')).toBeNaN();
  });
});
