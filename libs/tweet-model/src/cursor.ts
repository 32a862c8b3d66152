/** A position in the `{ created_at: -1, _id: -1 }` order: the timestamp plus the id that breaks ties. */
export interface CursorPosition {
  _id: string;
  created_at: Date;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
  constructor() {
    super('invalid cursor');
  }
}

const cursorPattern = /^(-?\d{1,16}):(\d{1,20})$/;
const base64url = /^[A-Za-z0-9_-]{1,64}$/;

/** Opaque to clients (they only hand it back); base64url keeps it safe in a query string. */
export function encodeCursor(t: CursorPosition): string {
  return Buffer.from(`${t.created_at.getTime()}:${t._id}`, 'utf8').toString('base64url');
}

/** Throws InvalidCursorError for anything encodeCursor could not have produced (answer 400, not 500). */
export function decodeCursor(cursor: string): CursorPosition {
  // Buffer skips characters that are not base64url, so check the alphabet first.
  const match = base64url.test(cursor) ? cursorPattern.exec(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  const createdAt = new Date(Number(match?.[1]));
  if (!match || Number.isNaN(createdAt.getTime())) throw new InvalidCursorError();
  return { _id: match[2] as string, created_at: createdAt };
}
