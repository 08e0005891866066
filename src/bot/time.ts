/** The calendar day (YYYY-MM-DD) of an instant in an IANA time zone. */
export function dayIn(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export function hoursBefore(at: Date, hours: number): string {
  return new Date(at.getTime() - hours * 3_600_000).toISOString();
}
