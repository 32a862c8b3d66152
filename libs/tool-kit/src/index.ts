export { strictArgs } from './args.js';
export { freePort, portIsFree } from './free-port.js';
export {
  type CachedGoBuildOptions,
  cacheEntry,
  cachedGoBuild,
  type GoRunner,
  type GoRunnerOptions,
  goModuleDir,
  goRunner,
  kubeonazureCache,
} from './go-build.js';
export { pollUntil, type PollOptions } from './poll.js';
export { rssBytes } from './process-memory.js';
export { formatElapsed, HEARTBEAT_MS, type HeartbeatOptions, withHeartbeat } from './progress.js';
export { supervise, type Exit, type SuperviseOptions, type Supervised } from './supervisor.js';
export { renderTable, type Align } from './table.js';
