import { projectConfig } from '../../vitest.shared.ts';

export default projectConfig('dev-db', { database: true });
