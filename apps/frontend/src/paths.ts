import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// This file sits in src/ (tests) or dist/ (image): the app root is one level up either way.
const appRoot = new URL('../', import.meta.url);

export const VIEWS_DIR = fileURLToPath(new URL('views/', appRoot));
export const PUBLIC_DIR = fileURLToPath(new URL('public/', appRoot));
/**
 * The built @kubeonazure/relative-time (plain JavaScript, no imports), which the page's script
 * imports too. `/browser` is that file under every condition: tests, which import the library's
 * TypeScript source, still serve what the browser can run.
 */
export const RELATIVE_TIME_MODULE = createRequire(import.meta.url).resolve('@kubeonazure/relative-time/browser');
