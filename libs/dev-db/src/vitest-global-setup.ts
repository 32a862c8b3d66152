import type { TestProject } from 'vitest/node';
import { startDevDatabase } from './start-dev-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUrl: string;
  }
}

/** One database for a project's whole test run; each test file uses its own database name. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const database = await startDevDatabase();
  project.provide('mongoUrl', database.url);
  return () => database.stop();
}
