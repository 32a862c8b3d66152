import { inject } from 'vitest';
import './vitest-global-setup.js';

/** The url of the database that the test run's global setup started (see vitest.shared.ts). */
export function testMongoUrl(): string {
  return inject('mongoUrl');
}
