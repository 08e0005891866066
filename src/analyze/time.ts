import type { RecordTime } from '../extract/types.js';

/** The post's own clock: when it was sent and at which offset. */
export interface PostClock {
  /** milliseconds since the epoch, or null when the post has no usable Date: */
  ms: number | null;
  /** minutes east of UTC */
  offsetMinutes: number;
}

const pad = (n: number, width = 2): string => String(Math.trunc(n)).padStart(width, '0');

// Every observation's time is formatted here: two-digit fields come from a table, the offset from
// a small cache, and the pieces are joined in one go (a flat string; a template literal would be
// a tree of pieces that a corpus keeps per observation).
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

function pad2(n: number): string {
  return Number.isInteger(n) && n >= 0 && n < 100 ? (TWO_DIGITS[n] as string) : pad(n);
}

function pad4(n: number): string {
  return Number.isInteger(n) && n >= 1000 && n <= 9999 ? String(n) : pad(n, 4);
}

const offsetTexts = new Map<number, string>();

function formatOffset(minutes: number): string {
  let text = offsetTexts.get(minutes);
  if (text === undefined) {
    const sign = minutes < 0 ? '-' : '+';
    const abs = Math.abs(minutes);
    text = `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    if (offsetTexts.size < 1000) offsetTexts.set(minutes, text);
  }
  return text;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock fields of an instant as seen at the given offset. */
function wallClock(ms: number, offsetMinutes: number): WallClock {
  const d = new Date(ms + offsetMinutes * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

// the records of a post share its clock: its wall clock is worked out once (callers only read it)
let lastAnchor: { ms: number; offsetMinutes: number; clock: WallClock } | null = null;

function anchorOf(ms: number, offsetMinutes: number): WallClock {
  if (lastAnchor === null || lastAnchor.ms !== ms || lastAnchor.offsetMinutes !== offsetMinutes) {
    lastAnchor = { ms, offsetMinutes, clock: wallClock(ms, offsetMinutes) };
  }
  return lastAnchor.clock;
}

const FRACTION = /^\d{1,9}$/;

// The records of a post share a date or two (bare times later than the post are the day before)
// and their fraction and zone (a paste prints `.000000` on every line): those pieces of the ISO
// text are made once each, and each time is joined from four.
const MAX_DATE_TEXTS = 4096;
const dateTexts = new Map<number, string>();

function datePart(year: number, month: number, day: number): string {
  // one number per in-range integer date; anything else is built each time
  if (!(Number.isInteger(year) && Number.isInteger(month) && Number.isInteger(day) && year >= 0 && year <= 9999 && month >= 0 && month <= 99 && day >= 0 && day <= 99)) {
    return dateText(year, month, day);
  }
  const key = (year * 100 + month) * 100 + day;
  let text = dateTexts.get(key);
  if (text === undefined) {
    text = dateText(year, month, day);
    if (dateTexts.size >= MAX_DATE_TEXTS) dateTexts.clear();
    dateTexts.set(key, text);
  }
  return text;
}

function dateText(year: number, month: number, day: number): string {
  return [pad4(year), '-', pad2(month), '-', pad2(day), 'T'].join('');
}

let lastTail: { fraction: string | undefined; offsetMinutes: number; text: string } | null = null;

function tailPart(fraction: string | undefined, offsetMinutes: number): string {
  if (lastTail === null || lastTail.fraction !== fraction || lastTail.offsetMinutes !== offsetMinutes) {
    const frac = fraction && FRACTION.test(fraction) ? `.${fraction}` : '';
    lastTail = { fraction, offsetMinutes, text: [frac, formatOffset(offsetMinutes)].join('') };
  }
  return lastTail.text;
}

/** `hh:mm:` for each minute of the day, made as first asked for (at most 1,440 short strings) */
const HOUR_MINUTE_TEXTS: Array<string | undefined> = new Array<string | undefined>(24 * 60).fill(undefined);

function hourMinutePart(hour: number, minute: number): string {
  if (!(Number.isInteger(hour) && Number.isInteger(minute) && hour >= 0 && hour < 24 && minute >= 0 && minute < 60)) {
    return pad2(hour) + ':' + pad2(minute) + ':';
  }
  const k = hour * 60 + minute;
  let text = HOUR_MINUTE_TEXTS[k];
  if (text === undefined) {
    text = pad2(hour) + ':' + pad2(minute) + ':';
    HOUR_MINUTE_TEXTS[k] = text;
  }
  return text;
}

function iso(year: number, month: number, day: number, hour: number, minute: number, second: number, fraction: string | undefined, offsetMinutes: number): string {
  return [datePart(year, month, day), hourMinutePart(hour, minute), pad2(second), tailPart(fraction, offsetMinutes)].join('');
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function valid(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (Number.isInteger(year) && Number.isInteger(month) && Number.isInteger(day) && year >= 100 && year <= 9999) {
    // what the Date round trip below decides: is the day in the month (Gregorian leap years)
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
  }
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCMonth() === month - 1;
}

// the day before the post's date, for bare times later than the post (one per post, not per record)
let lastDayBefore: { year: number; month: number; day: number; before: WallClock } | null = null;

function isClockField(n: number, max: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= max;
}

/** The date of recordMs minus a day (recordMs being that date at hour:minute:second, the offset taken off). */
function dayBefore(year: number, month: number, day: number, hour: number, minute: number, second: number, recordMs: number, offset: number): WallClock {
  // within one day (no leap second rolling it over) the date a day earlier depends on the date alone
  if (!(isClockField(hour, 23) && isClockField(minute, 59) && isClockField(second, 59))) return wallClock(recordMs - 86_400_000 + offset * 60_000, 0);
  if (lastDayBefore === null || lastDayBefore.year !== year || lastDayBefore.month !== month || lastDayBefore.day !== day) {
    lastDayBefore = { year, month, day, before: wallClock(recordMs - 86_400_000 + offset * 60_000, 0) };
  }
  return lastDayBefore.before;
}

// the records of a post share their date: Date.UTC of the day once, the clock added by hand
let lastDayMs: { year: number; month: number; day: number; ms: number } | null = null;

/** Date.UTC(year, month - 1, day, hour, minute, second), the same number (exported for its property test). */
export function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  // only for integer clock fields in range: then the sum is exact and Date.UTC would carry nothing
  // (and a day whose Date.UTC is a number well inside TimeClip's ±8.64e15 stays inside it)
  if (!(isClockField(hour, 23) && isClockField(minute, 59) && isClockField(second, 60))) {
    return Date.UTC(year, month - 1, day, hour, minute, second);
  }
  if (lastDayMs === null || lastDayMs.year !== year || lastDayMs.month !== month || lastDayMs.day !== day) {
    lastDayMs = { year, month, day, ms: Date.UTC(year, month - 1, day) };
  }
  const dayMs = lastDayMs.ms;
  if (!(Math.abs(dayMs) <= 8.6e15)) return Date.UTC(year, month - 1, day, hour, minute, second);
  return dayMs + ((hour * 60 + minute) * 60 + second) * 1000;
}

/**
 * A record's time as ISO 8601, best effort: what the record lacks (year, date, zone) comes from the
 * post's Date: header. A log line without a year dated after the post by more than a day belongs to
 * the year before (a December alert quoted in a January post). null when nothing anchors it.
 */
export function resolveRecordTime(t: RecordTime | null, clock: PostClock): string | null {
  if (!t) return null;
  const offset = t.offsetMinutes ?? clock.offsetMinutes;
  if (t.epoch !== undefined && Number.isFinite(t.epoch)) {
    const ms = t.epoch * 1000;
    const fraction = t.fraction ?? (Number.isInteger(t.epoch) ? undefined : String(t.epoch).split('.')[1]);
    const w = wallClock(Math.floor(ms / 1000) * 1000, offset);
    return iso(w.year, w.month, w.day, w.hour, w.minute, w.second, fraction, offset);
  }
  const anchor = clock.ms === null ? null : anchorOf(clock.ms, offset);
  let year = t.year ?? anchor?.year;
  let month = t.month ?? anchor?.month;
  let day = t.day ?? anchor?.day;
  if (year === undefined || month === undefined || day === undefined) return null;
  const { hour, minute, second } = t;
  if (clock.ms !== null && t.year === undefined) {
    const recordMs = utcMs(year, month, day, hour, minute, second) - offset * 60_000;
    if (t.month !== undefined && recordMs - clock.ms > 86_400_000) {
      year -= 1;
    } else if (t.month === undefined && t.day === undefined && recordMs - clock.ms > 5 * 60_000) {
      // a bare time later than the post was logged the day before it was pasted
      const prev = dayBefore(year, month, day, hour, minute, second, recordMs, offset);
      year = prev.year;
      month = prev.month;
      day = prev.day;
    }
  }
  if (!valid(year, month, day, hour, minute, second)) return null;
  return iso(year, month, day, hour, minute, second, t.fraction, offset);
}

/** Parses the post's ISO date (with offset) into its clock. */
export function postClock(date: string | null, offsetMinutes: number): PostClock {
  if (!date) return { ms: null, offsetMinutes };
  // a post dated only by its day was sent at some time that day: take its end, so a log line
  // from that afternoon is not pushed to the day before
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(date);
  const ms = dayOnly ? Date.parse(`${date}T23:59:59Z`) - offsetMinutes * 60_000 : Date.parse(date);
  return { ms: Number.isFinite(ms) ? ms : null, offsetMinutes };
}
