export { freePort, portIsFree } from './free-port.js';
export { pollUntil, type PollOptions } from './poll.js';
export { supervise, Supervised, type Exit, type SuperviseOptions } from './supervisor.js';
export { renderTable, type Align } from './table.js';
