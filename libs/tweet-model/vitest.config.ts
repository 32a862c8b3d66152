import { projectConfig } from '../../vitest.shared.ts';

export default projectConfig('tweet-model', { database: true });
