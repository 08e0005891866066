// Calendar time in the configured zone: the digest's day (which day a post counts for) and the
// times it prints. One formatter per zone, made once.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // throws a RangeError for a zone Intl does not know
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The calendar day `YYYY-MM-DD` and the time `HH:MM` of an instant in an IANA time zone. */
export function zonedDayAndTime(at: Date, timeZone: string): { day: string; time: string } {
  const parts = formatter(timeZone).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '00';
  return { day: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}` };
}

/** The calendar day (YYYY-MM-DD) of an instant in an IANA time zone. */
export function dayIn(at: Date, timeZone: string): string {
  return zonedDayAndTime(at, timeZone).day;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}
