// Errors as Cosmos DB for MongoDB (and MongoDB) send them, for a front to answer with.

/** An error reply: `code`, `codeName`, `errmsg`, as the server sends them. */
export interface ServerError {
  code: number;
  codeName: string;
  errmsg: string;
}

/** The wait a throttled reply asks for. */
export const THROTTLE_RETRY_AFTER_MS = 7;

/** Cosmos DB's "request rate is large" (HTTP 429 inside), asking the client to wait `retryAfterMs`. */
export function throttledError(retryAfterMs: number): ServerError {
  return {
    code: 16500,
    codeName: 'RequestRateTooLarge',
    errmsg: `Error=16500, RetryAfterMs=${retryAfterMs}, Details='Response status code does not indicate success: TooManyRequests (429)'`,
  };
}

export const COSMOS_ERRORS = {
  throttled: throttledError(THROTTLE_RETRY_AFTER_MS),
  /** A write with a read-only key. */
  readOnlyKey: {
    code: 13,
    codeName: 'Unauthorized',
    errmsg: 'not authorized on kubeonazure to execute command { insert: "tweets", ordered: false }',
  },
  storageQuota: {
    code: 13,
    codeName: 'Unauthorized',
    errmsg:
      'Error=13, Details=\'Response status code does not indicate success: Forbidden (403); Substatus: 1021; Reason: (Message: {"Errors":["Storage quota for \'Collection\' exceeded."]})\'',
  },
  /** The primary moved (a failover): the write may succeed on the new one. */
  notWritablePrimary: { code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not master' },
  /** The request ran past the server's time limit. */
  timeLimit: { code: 50, codeName: 'ExceededTimeLimit', errmsg: 'Request timed out.' },
  /** A document the database will never take. */
  documentInvalid: { code: 121, codeName: 'DocumentValidationFailure', errmsg: 'Document failed validation' },
} satisfies Record<string, ServerError>;
