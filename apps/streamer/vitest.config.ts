import { projectConfig } from '../../vitest.shared.ts';

export default projectConfig('streamer', { database: true });
