const UNITS: [limitSeconds: number, seconds: number, suffix: string][] = [
  [60, 1, 's'],
  [3600, 60, 'min'],
  [86_400, 3600, 'h'],
  [7 * 86_400, 86_400, 'd'],
];

/**
 * "4 s ago", "3 min ago", "2 h ago", "5 d ago"; older than a week: the date ("3 Nov 2026").
 * public/live.js formats the same way in the browser; keep the two in step.
 */
export function relativeTime(date: Date, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - date.getTime()) / 1000));
  for (const [limit, size, suffix] of UNITS) {
    if (seconds < limit) return `${Math.floor(seconds / size)} ${suffix} ago`;
  }
  return date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** The exact time for the hover title: "2026-11-24 01:02:03 UTC". */
export function exactUtc(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
