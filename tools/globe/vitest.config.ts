import { mergeConfig } from 'vitest/config';
import { projectConfig } from '../../vitest.shared.ts';

// The integration tests run the built CLI (dist/cli.js) as a child process, so build it first.
export default mergeConfig(projectConfig('globe'), { test: { globalSetup: ['./test/build-cli.ts'] } });
