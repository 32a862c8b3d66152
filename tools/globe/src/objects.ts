/** Narrowing helpers for JSON and YAML read from kubectl, which we trust in shape but not in completeness. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as an object, or an empty one, so optional fields read as undefined. */
export function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
