import { projectConfig } from '../../vitest.shared.ts';

// Every drill file starts all three regions (PostgreSQL, FerretDB, HAProxy, six apps): one at a time.
export default projectConfig('region-sim', { oneFileAtATime: true });
