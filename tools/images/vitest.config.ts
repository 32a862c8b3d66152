import { projectConfig } from '../../vitest.shared.ts';

// The database: the images are run against it, as the pods run against Cosmos DB.
export default projectConfig('images', { database: true });
