// Date.parse for the times observations carry, without Date.parse on the common form: the groups'
// spans and the duplicate keys parse every observation's time (a 100,000-line paste: 100,000 of
// them), and Date.parse costs ~0.3 µs where reading a fixed layout costs a fraction of that.

/**
 * Date.parse(s), the same number for every string: `YYYY-MM-DDTHH:MM:SS[.fraction]` followed by
 * `Z` or `±HH:MM` (what src/analyze/time.ts writes) is read here when every field is in a range
 * where Date.parse's answer is plain arithmetic (day 1-31, a day past the month's end rolling
 * over into the next as Date.parse's does; hour 0-23, minute and second 0-59, offset hour 0-23,
 * 1-9 fraction digits, of which the first three are the milliseconds, as Date.parse truncates);
 * anything else (a time without an offset is local time, hour 24, second 60, lower-case letters,
 * other layouts) goes to Date.parse.
 */
export function isoTimeMs(s: string): number {
  const n = s.length;
  if (n < 20 || n > 35) return Date.parse(s);
  const year = digits4(s, 0);
  const month = digits2(s, 5);
  const day = digits2(s, 8);
  const hour = digits2(s, 11);
  const minute = digits2(s, 14);
  const second = digits2(s, 17);
  if (
    (year | month | day | hour | minute | second) < 0 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return Date.parse(s);
  }
  let at = 19;
  let ms = 0;
  if (s.charCodeAt(at) === 46) {
    // '.' and 1-9 digits: the first three are the milliseconds (missing ones count as 0)
    const from = ++at;
    while (at < n && at - from < 10) {
      const c = s.charCodeAt(at);
      if (c < 48 || c > 57) break;
      const k = at - from;
      if (k < 3) ms += (c - 48) * (k === 0 ? 100 : k === 1 ? 10 : 1);
      at++;
    }
    const count = at - from;
    if (count < 1 || count > 9) return Date.parse(s);
  }
  let offsetMinutes = 0;
  const sign = s.charCodeAt(at);
  if (sign === 90 /* Z */ && at + 1 === n) {
    // UTC
  } else if ((sign === 43 || sign === 45) && at + 6 === n && s.charCodeAt(at + 3) === 58) {
    const oh = digits2(s, at + 1);
    const om = digits2(s, at + 4);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return Date.parse(s);
    offsetMinutes = sign === 43 ? oh * 60 + om : -(oh * 60 + om);
  } else return Date.parse(s);
  return daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + ms;
}

/** the two decimal digits at i as a number, or -1 */
function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** the four decimal digits at i as a number, or -1 */
function digits4(s: string, i: number): number {
  const hi = digits2(s, i);
  const lo = digits2(s, i + 2);
  return hi < 0 || lo < 0 ? -1 : hi * 100 + lo;
}

/** days from 1970-01-01 to the proleptic Gregorian date (year 0-9999, month 1-12, day 1-31) */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
