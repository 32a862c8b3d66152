import {
  MongoBulkWriteError,
  MongoError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerSelectionError,
} from 'mongodb';

/**
 * What a failed write means for the pipeline. Throttling is retried inside the repository; when it
 * still fails, or the network, a failover or a timeout is in the way, the write is `transient`: it
 * succeeds later by itself. `permanent` needs an operator: a wrong password or a user without the
 * right to write, a full storage quota, or anything not known to pass. Both hold the posts and retry with backoff; they differ in
 * how loudly they are reported.
 */
export type WriteFailureKind = 'transient' | 'permanent';

const TRANSIENT_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // ExceededTimeLimit (Cosmos DB: the request ran past 60 s)
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
  16500, // Cosmos DB throttling, once the repository's retries are used up
]);

/**
 * Codes of a single write that no retry can change: the database refuses the document itself (too
 * large, failing validation). Such a post is skipped and counted instead of holding up the rest.
 */
const REFUSED_DOCUMENT_CODES = new Set([
  2, // BadValue
  121, // DocumentValidationFailure
  10334, // BSONObjectTooLarge
  17280, // KeyTooLong
]);

type ErrorLike = { code?: unknown; message?: unknown };

/** The server's error code, when the error has one. */
export function writeErrorCode(error: unknown): number | undefined {
  const code = (error as ErrorLike | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function writeFailureKind(error: unknown): WriteFailureKind {
  // insertMany wraps a failure of the driver (network, server selection) in a bulk write error.
  if (error instanceof MongoBulkWriteError && error.errorResponse instanceof Error)
    return writeFailureKind(error.errorResponse);
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoOperationTimeoutError
  ) {
    return 'transient';
  }
  if (error instanceof MongoError && (error.hasErrorLabel('RetryableWriteError') || error.hasErrorLabel('ResetPool')))
    return 'transient';
  const code = writeErrorCode(error);
  return code !== undefined && TRANSIENT_CODES.has(code) ? 'transient' : 'permanent';
}

/** Whether the database refused this one document for what it is (see REFUSED_DOCUMENT_CODES). */
export function isRefusedDocument(code: number | undefined): boolean {
  return code !== undefined && REFUSED_DOCUMENT_CODES.has(code);
}

/** What an operator should look at for a permanent failure, where the code tells. */
export function permanentCause(error: unknown): string | undefined {
  const code = writeErrorCode(error);
  const message = String((error as ErrorLike | null)?.message ?? '');
  if (code === 13 && /storage quota/i.test(message)) return 'storage quota exceeded: raise the quota or free space';
  if (code === 13)
    return 'not authorized to write: is the connection string the streamer database user? (secret cosmos-db-streamer)';
  if (code === 18)
    return 'authentication failed: the database user or its password in the connection string is wrong, or the password was changed';
  return undefined;
}
