// No imports and no Node APIs: the frontend serves the built file as is to the browser
// (/static/relative-time.js), so the page and the server format with this one copy.

// Largest first: an age is told in the first unit it holds whole.
const UNITS = [
  [86_400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
] as const;
const WEEK_SECONDS = 7 * 86_400;

const formats = {
  long: new Intl.RelativeTimeFormat('en', { style: 'long' }),
  narrow: new Intl.RelativeTimeFormat('en', { style: 'narrow' }),
};
const dateFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});

/**
 * How long ago, in the largest whole unit up to days, rounded down: "4 seconds ago", "1 minute ago"
 * (`long`, for people reading a page) or "4s ago", "3m ago" (`narrow`, for a table cell). A negative
 * age (clock skew) counts as 0.
 */
export function ago(seconds: number, style: keyof typeof formats = 'long'): string {
  const whole = Math.max(0, Math.floor(seconds));
  const [size, unit] = UNITS.find(([size]) => whole >= size) ?? UNITS[3];
  // -0, not 0: Intl says "in 0 seconds" for +0.
  return formats[style].format(-Math.floor(whole / size), unit);
}

/** A tweet's time on the page: `ago` up to a week, then the date ("3 Nov 2026", UTC). */
export function relativeTime(date: Date, now: Date): string {
  const seconds = (now.getTime() - date.getTime()) / 1000;
  return seconds < WEEK_SECONDS ? ago(seconds) : dateFormat.format(date);
}

/** The exact time for a hover title: "2026-11-24 01:02:03 UTC". */
export function exactUtc(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
