export { startCosmosAccount, type CosmosAccount, type CosmosMemberOptions } from './account.js';
export { COSMOS_ERRORS, THROTTLE_RETRY_AFTER_MS, type ServerError } from './errors.js';
export {
  accountViews,
  electionId,
  REPLICA_SET,
  replicaSetHello,
  type MemberAddress,
  type TopologyView,
} from './hello.js';
export type { ScriptedErrors } from './scripted-errors.js';
export { WireFront, type WireFrontOptions } from './wire-front.js';
