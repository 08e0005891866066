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

function iso(f: WallClock, fraction: string | undefined, offsetMinutes: number): string {
  const frac = fraction && FRACTION.test(fraction) ? `.${fraction}` : '';
  return [pad4(f.year), '-', pad2(f.month), '-', pad2(f.day), 'T', pad2(f.hour), ':', pad2(f.minute), ':', pad2(f.second), frac, formatOffset(offsetMinutes)].join('');
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function valid(f: WallClock): boolean {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31) return false;
  if (f.hour > 23 || f.minute > 59 || f.second > 60) return false;
  if (Number.isInteger(f.year) && Number.isInteger(f.month) && Number.isInteger(f.day) && f.year >= 100 && f.year <= 9999) {
    // what the Date round trip below decides: is the day in the month (Gregorian leap years)
    const leap = f.year % 4 === 0 && (f.year % 100 !== 0 || f.year % 400 === 0);
    return f.day <= (f.month === 2 && leap ? 29 : (DAYS_IN_MONTH[f.month - 1] as number));
  }
  const d = new Date(Date.UTC(f.year, f.month - 1, f.day));
  return d.getUTCMonth() === f.month - 1;
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
    return iso(wallClock(Math.floor(ms / 1000) * 1000, offset), fraction, offset);
  }
  const anchor = clock.ms === null ? null : anchorOf(clock.ms, offset);
  const fields = {
    year: t.year ?? anchor?.year,
    month: t.month ?? anchor?.month,
    day: t.day ?? anchor?.day,
    hour: t.hour,
    minute: t.minute,
    second: t.second,
  };
  if (fields.year === undefined || fields.month === undefined || fields.day === undefined) return null;
  const full = fields as WallClock;
  if (clock.ms !== null && t.year === undefined) {
    const recordMs = Date.UTC(full.year, full.month - 1, full.day, full.hour, full.minute, full.second) - offset * 60_000;
    if (t.month !== undefined && recordMs - clock.ms > 86_400_000) {
      full.year -= 1;
    } else if (t.month === undefined && t.day === undefined && recordMs - clock.ms > 5 * 60_000) {
      // a bare time later than the post was logged the day before it was pasted
      const prev = wallClock(recordMs - 86_400_000 + offset * 60_000, 0);
      full.year = prev.year;
      full.month = prev.month;
      full.day = prev.day;
    }
  }
  if (!valid(full)) return null;
  return iso(full, t.fraction, offset);
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
