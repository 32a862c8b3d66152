export {
  DEFAULT_COLLECTION,
  DEFAULT_DATABASE,
  publicTweetSchema,
  toPublicTweet,
  TweetValidationError,
  tweetDocumentSchema,
  validateTweet,
  type PublicTweet,
  type TweetDocument,
} from './tweet.js';
export {
  mapXMessage,
  mapXSearchPage,
  type MappedMessage,
  type RejectedPost,
  type XApiProblem,
} from './map-x-message.js';
export { decodeCursor, encodeCursor, InvalidCursorError, type CursorPosition } from './cursor.js';
export { throttleDelayMs, withThrottleRetry, type ThrottleRetryOptions } from './throttle.js';
export {
  connect,
  connectionOptions,
  createClient,
  keepConnecting,
  type ConnectionRole,
  type KeepConnectingOptions,
} from './connection.js';
export {
  IncompleteInsertError,
  MAX_INSERT_BATCH,
  MAX_PAGE_SIZE,
  REPOSITORY_OPERATIONS,
  TweetRepository,
  type RepositoryOperation,
  type RepositoryOptions,
  type UnstoredPost,
} from './repository.js';
export {
  DEFAULT_LEASE_COLLECTION,
  LEASE_NAME,
  leaseCandidateSchema,
  leaseDocumentSchema,
  readLease,
  type LeaseCandidate,
  type LeaseDocument,
} from './lease.js';
export {
  databaseRoles,
  TWEET_INDEXES,
  type CosmosIndex,
  type MongoPrivilege,
  type MongoRoleDefinition,
} from './cosmos-definitions.js';
