export { startCosmosAccount, type CosmosAccount, type CosmosMemberOptions } from './account.js';
export { COSMOS_ERRORS, THROTTLE_RETRY_AFTER_MS, throttledError, type ServerError } from './errors.js';
export {
  type ChargedCommand,
  RequestUnitBudget,
  requestCharge,
  RU_PER_KB_INSERT,
  RU_PER_KB_POINT_READ,
  RU_PER_KB_UPDATE_OR_DELETE,
  RU_QUERY_BASE,
} from './request-units.js';
export {
  accountViews,
  electionId,
  REPLICA_SET,
  replicaSetHello,
  type MemberAddress,
  type TopologyView,
} from './hello.js';
export type { ScriptedErrors } from './scripted-errors.js';
export { WireFront, type WireFaults, type WireFrontOptions, type WireUsage } from './wire-front.js';
export { authorize, requiredActions, type WirePrivilege, type WireUser } from './auth.js';
