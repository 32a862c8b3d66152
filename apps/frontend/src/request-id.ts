import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header a request id comes in on (from a proxy or a caller) and goes back out on. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Ids a caller may choose: short, and nothing a log line or a header could be broken with. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is safe to log and echo, else a new UUID. */
export function requestId(request: Pick<IncomingMessage, 'headers'>): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
