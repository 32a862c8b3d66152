import { projectConfig } from '../../vitest.shared.ts';

// The integration tests run the built CLI (dist/cli.js) as a child process: Nx builds it first
// (globe:test dependsOn build), and the cluster kit (clusters:kit) for the tests against real clusters.
// The database: the rollback rehearsal's frontends and streamers run against it.
export default projectConfig('globe', { database: true });
