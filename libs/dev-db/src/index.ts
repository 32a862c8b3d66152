export type { DevDatabase } from './dev-database.js';
export { startDevDatabase, type StartOptions } from './start-dev-database.js';
export { ensureFerretDbBinary } from './ferretdb.js';
export { type ReachableOptions, waitUntilReachable } from './net.js';
