// resolveRecordTime and postClock as they were before the formatting fast paths (commit 65f2020):
// the reference the fast version must match on every input (test/analyze-time-reference.test.ts).
import type { RecordTime } from '../../src/extract/types.js';

/** The post's own clock: when it was sent and at which offset. */
export interface PostClock {
  /** milliseconds since the epoch, or null when the post has no usable Date: */
  ms: number | null;
  /** minutes east of UTC */
  offsetMinutes: number;
}

const pad = (n: number, width = 2): string => String(Math.trunc(n)).padStart(width, '0');

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The wall-clock fields of an instant as seen at the given offset. */
function wallClock(ms: number, offsetMinutes: number) {
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

function iso(
  f: { year: number; month: number; day: number; hour: number; minute: number; second: number },
  fraction: string | undefined,
  offsetMinutes: number,
): string {
  const frac = fraction && /^\d{1,9}$/.test(fraction) ? `.${fraction}` : '';
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${frac}${formatOffset(offsetMinutes)}`;
}

function valid(f: { year: number; month: number; day: number; hour: number; minute: number; second: number }): boolean {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31) return false;
  if (f.hour > 23 || f.minute > 59 || f.second > 60) return false;
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
  const anchor = clock.ms === null ? null : wallClock(clock.ms, offset);
  const fields = {
    year: t.year ?? anchor?.year,
    month: t.month ?? anchor?.month,
    day: t.day ?? anchor?.day,
    hour: t.hour,
    minute: t.minute,
    second: t.second,
  };
  if (fields.year === undefined || fields.month === undefined || fields.day === undefined) return null;
  const full = fields as { year: number; month: number; day: number; hour: number; minute: number; second: number };
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
