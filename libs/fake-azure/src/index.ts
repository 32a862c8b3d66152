export { type ArmPath, parseArmPath } from './arm-path.ts';
export { type AzResult, AzSession } from './az-session.ts';
export { type ArmError, FakeAzure, isReadAction, type RecordedRequest } from './fake-azure.ts';
export { type ArmResource, LOCATIONS, locationName } from './resource-types.ts';
