export function hoursBefore(at: Date, hours: number): string {
  return new Date(at.getTime() - hours * 3_600_000).toISOString();
}
