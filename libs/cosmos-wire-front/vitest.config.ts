import { projectConfig } from '../../vitest.shared.ts';

export default projectConfig('cosmos-wire-front', { database: true });
