export { type ArmPath, parseArmPath } from './arm-path.js';
export { type AzResult, AzSession } from './az-session.js';
export { type ArmError, FakeAzure, isReadAction, type RecordedRequest } from './fake-azure.js';
export { type ArmResource, LOCATIONS, locationName } from './resource-types.js';
