import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoTimeMs } from '../src/correlate/iso-time.js';

// isoTimeMs reads the common layout itself and hands every other string to Date.parse: it must be
// Date.parse's number (or NaN) for every string, near the layout or not
describe('isoTimeMs', () => {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  const nearIso = fc
    .record({
      year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1969, max: 2040 })),
      month: fc.integer({ min: 0, max: 13 }),
      day: fc.integer({ min: 0, max: 32 }),
      hour: fc.integer({ min: 0, max: 25 }),
      minute: fc.integer({ min: 0, max: 60 }),
      second: fc.integer({ min: 0, max: 61 }),
      fraction: fc.oneof(fc.constant(''), fc.stringMatching(/^\.[0-9]{0,12}$/)),
      offset: fc.oneof(
        fc.constantFrom('Z', 'z', '', '+00:00', '-00:00', '+0100', '+01', ' ', 'Zx'),
        fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 })).map(([s, h, m]) => `${s}${pad(h, 2)}:${pad(m, 2)}`),
      ),
      sep: fc.constantFrom('T', 'T', 'T', 't', ' '),
      // one character replaced somewhere (a digit where a separator belongs, a letter in a number)
      mangle: fc.option(fc.tuple(fc.nat(40), fc.constantFrom('0', '9', '-', ':', '.', 'T', 'x', '+', '\u00e9'))),
    })
    .map(({ year, month, day, hour, minute, second, fraction, offset, sep, mangle }) => {
      let s = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}${sep}${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction}${offset}`;
      if (mangle) {
        const [at, c] = mangle;
        if (at < s.length) s = s.slice(0, at) + c + s.slice(at + 1);
      }
      return s;
    });

  afterEach(() => vi.restoreAllMocks());

  it('equals Date.parse on strings near the layout', () => {
    fc.assert(
      fc.property(nearIso, (s) => {
        expect(Object.is(isoTimeMs(s), Date.parse(s)), s).toBe(true);
      }),
      { numRuns: 50000 },
    );
  });

  it('equals Date.parse on any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        expect(Object.is(isoTimeMs(s), Date.parse(s)), s).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('equals Date.parse at the edges of what it reads itself', () => {
    const cases = [
      '2001-09-05T21:42:05.000000+01:00', '2001-09-05T21:42:05.9999+01:00', '2001-09-05T21:42:05.123456789+01:00',
      '2001-09-05T21:42:05.1234567890+01:00', '2001-09-05T21:42:05.Z', '2001-09-05T21:42:05.5Z', '2001-09-05T21:42:05+23:59',
      '2001-09-05T21:42:05-23:59', '2001-09-05T21:42:05+24:00', '2001-02-28T23:59:59Z', '2001-02-29T00:00:00Z', '2000-02-29T00:00:00Z',
      '2001-04-31T00:00:00Z', '2001-09-05T24:00:00Z', '2001-09-05T23:59:60Z', '0000-01-01T00:00:00Z', '0050-03-01T00:00:00Z',
      '1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00Z', '9999-12-28T23:59:59.999-23:59', '2001-09-05T21:42:05', '2001-09-05T21:42:05+01:00 ',
      '+002001-09-05T21:42:05Z', '1900-03-01T00:00:00Z', '2100-03-01T12:00:00+05:30', '1600-02-28T00:00:00Z',
    ];
    for (const s of cases) expect(Object.is(isoTimeMs(s), Date.parse(s)), s).toBe(true);
  });

  it('reads the layout analyze writes without Date.parse', () => {
    const parse = vi.spyOn(Date, 'parse');
    expect(isoTimeMs('2001-09-05T21:42:05.000000+01:00')).toBe(999722525000);
    expect(isoTimeMs('2001-09-06T02:17:56Z')).toBe(Date.UTC(2001, 8, 6, 2, 17, 56));
    expect(isoTimeMs('1999-12-27T23:30:00.25-05:30')).toBe(Date.UTC(1999, 11, 28, 5, 0, 0, 250));
    expect(isoTimeMs('2001-02-30T00:00:00Z')).toBe(Date.UTC(2001, 2, 2));
    expect(parse).not.toHaveBeenCalled();
  });
});
