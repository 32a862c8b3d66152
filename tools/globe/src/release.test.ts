import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseReleaseComponent, type Release, releaseComponent, releaseImages, splitDigestRef } from './release.js';

const digest = (n: string) => `sha256:${n.repeat(64)}`;
const release: Release = {
  commit: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
  version: '1a2b3c4',
  created: '2026-12-02T12:00:00.000Z',
  images: releaseImages('127.0.0.1:5000', { frontend: digest('a'), streamer: digest('b') }),
};

describe('the release component', () => {
  it('holds each image by digest, the version and the record, and reads back as the same release', () => {
    const text = releaseComponent(release);
    expect(text).toContain(
      `  - name: frontend\n    newName: 127.0.0.1:5000/kubeonazure/frontend\n    digest: ${digest('a')}`,
    );
    expect(text).toContain('app.kubernetes.io/version: "1a2b3c4"');
    expect(parseReleaseComponent(text, 'x')).toEqual(release);
  });

  it('reads the shipped placeholder as no release', () => {
    const shipped = new URL('../../../deploy/k8s/release/kustomization.yaml', import.meta.url);
    const text = readFileSync(shipped, 'utf8');
    // Whatever is pinned on main, it is either a complete release or the placeholder.
    const parsed = parseReleaseComponent(text, 'shipped');
    if (parsed === null) expect(text).toContain('unreleased');
    else expect(parsed.images.frontend).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it('refuses a release without an image by digest or without its record', () => {
    const text = releaseComponent(release);
    expect(() => parseReleaseComponent(text.replace(/digest: sha256:b+/, 'newTag: latest'), 'f')).toThrow(
      'f: no image by digest for streamer',
    );
    expect(() => parseReleaseComponent(text.replace(/ {2}release.kubeonazure.io\/commit: .*\n/, ''), 'f')).toThrow(
      /^f: no release.kubeonazure.io\/commit/,
    );
  });

  it('splits only <repository>@sha256:<64 hex>', () => {
    expect(splitDigestRef(`r.io/a/b@${digest('c')}`, 'x')).toEqual({ repository: 'r.io/a/b', digest: digest('c') });
    expect(() => splitDigestRef('r.io/a/b:1a2b3c4', 'frontend')).toThrow(
      'frontend: r.io/a/b:1a2b3c4 is not <repository>@sha256:<digest>',
    );
  });
});
