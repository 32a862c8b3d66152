import { fileURLToPath } from 'node:url';

// This file sits in src/ (tests) or dist/ (image): the app root is one level up either way.
const appRoot = new URL('../', import.meta.url);

export const VIEWS_DIR = fileURLToPath(new URL('views/', appRoot));
export const PUBLIC_DIR = fileURLToPath(new URL('public/', appRoot));
