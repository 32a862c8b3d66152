import { type Release, releaseImages } from './release.js';

/**
 * A made-up release for tests (digests of nothing): neither kwok's nodes nor a stand-in kubectl pull an
 * image, and the checks read only names. Not in a checkout of its own, so a rollout of it needs --allow-stale.
 */
export const TEST_RELEASE: Release = {
  commit: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
  version: '1a2b3c4',
  created: '2026-12-02T12:00:00.000Z',
  images: releaseImages('kubeonazure.azurecr.io', {
    frontend: `sha256:${'a'.repeat(64)}`,
    streamer: `sha256:${'b'.repeat(64)}`,
  }),
};
