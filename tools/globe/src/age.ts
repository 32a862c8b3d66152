/** A short age for people: 42s, 5m, 3h, 2d (rounded down, as kubectl shows AGE). */
export function formatAge(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  if (whole < 120) return `${whole}s`;
  if (whole < 120 * 60) return `${Math.floor(whole / 60)}m`;
  if (whole < 48 * 3600) return `${Math.floor(whole / 3600)}h`;
  return `${Math.floor(whole / 86400)}d`;
}
