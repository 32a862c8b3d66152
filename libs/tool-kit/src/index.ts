export { freePort, portIsFree } from './free-port.js';
export { pollUntil, type PollOptions } from './poll.js';
export { supervise, type Exit, type SuperviseOptions, type Supervised } from './supervisor.js';
export { renderTable, type Align } from './table.js';
