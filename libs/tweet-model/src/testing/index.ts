// Test support for the projects that talk to the database: wire-protocol stand-ins that make the real
// development database answer as Cosmos DB does. Imported as `@kubeonazure/tweet-model/testing`.
export {
  startWireProxy,
  type Handling,
  type WireProxy,
  type WireProxyOptions,
  type WireRequest,
} from './wire-proxy.js';
export {
  startCosmosReplicaSet,
  type CosmosMember,
  type CosmosMemberOptions,
  type CosmosReplicaSet,
} from './cosmos-replica-set.js';
export {
  COSMOS_ERRORS,
  startCosmosProxy,
  THROTTLE_RETRY_AFTER_MS,
  type CosmosProxy,
  type ServerError,
} from './cosmos-proxy.js';
export { makeTweet, makeTweets, tweet } from './tweets.js';
