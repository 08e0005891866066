// correlate's parseTime reads record times by hand: it must give Date.parse's answer on every
// string, in the layout it reads (valid or not: a 30th of February, hour 24, long fractions,
// offsets out of range) and outside it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTime } from '../src/correlate/correlate.js';

const two = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((v) => String(v).padStart(2, '0'));
const isoLike = fc
  .tuple(
    fc.oneof(fc.integer({ min: 1890, max: 2110 }), fc.integer({ min: 0, max: 9999 })).map((v) => String(v).padStart(4, '0')),
    two(0, 13),
    two(0, 32),
    fc.constantFrom('T', 't', ' '),
    two(0, 24),
    two(0, 60),
    two(0, 60),
    fc.oneof(fc.constant(''), fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 12 }).map((ds) => `.${ds.join('')}`)),
    fc.oneof(fc.constantFrom('Z', 'z', '', '+01:00', '-05:30', '+00:00', '-00:00', '+24:00', '+23:59', '-12:60', '+0100', '+01', 'Zx', ' ')),
  )
  .map(([y, mo, d, sep, h, mi, s, frac, off]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${frac}${off}`);

describe('parseTime', () => {
  it('is Date.parse on times in the record layout, valid or not', () => {
    fc.assert(
      fc.property(isoLike, (t) => {
        expect(parseTime(t)).toEqual(Date.parse(t));
      }),
      { numRuns: 4000 },
    );
  });

  it('is Date.parse on anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9T:.Z+-]{18,36}$/)), (t) => {
        expect(parseTime(t)).toEqual(Date.parse(t));
      }),
      { numRuns: 2000 },
    );
    for (const t of ['2001-09-06T02:17:56.000000+01:00', '2000-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2001-09-06T02:17:56.9999999+01:00', '2001-09-06T02:17:56.123456789Z', '2001-09-06T02:17:56.1234567891Z', '1970-01-01T00:00:00.001-00:01']) {
      expect(parseTime(t)).toEqual(Date.parse(t));
    }
  });
});
