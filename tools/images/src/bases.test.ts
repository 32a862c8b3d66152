import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accounts, baseImagesOf, sharedLibraries } from './bases.ts';

describe('baseImagesOf', () => {
  it('reads the three images the Dockerfile names, which the stand-ins are created as', () => {
    const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
    const bases = baseImagesOf(dockerfile);
    expect(bases.frontend).toMatch(/^docker\/dockerfile:1\.\d+/);
    expect(bases.build).toMatch(/^node:24-/);
    expect(bases.runtime).toMatch(/^gcr\.io\/distroless\/nodejs24-debian12:nonroot/);
    expect(dockerfile).toMatch(/^FROM \$\{BUILD_IMAGE\} AS manifests$/m);
    expect(dockerfile).toMatch(/^FROM \$\{RUNTIME_IMAGE\}$/m);
  });

  it('refuses a Dockerfile that does not name them', () => {
    expect(() => baseImagesOf('FROM node:24\n')).toThrow(
      'the Dockerfile must name its syntax, BUILD_IMAGE and RUNTIME_IMAGE',
    );
  });
});

describe('sharedLibraries', () => {
  it('lists the paths ldd resolves, not the vDSO', () => {
    const ldd = [
      '\tlinux-vdso.so.1 (0x00007ffd5a1f0000)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f16de200000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f16ddf3e000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f16de481000)',
    ].join('\n');
    expect(sharedLibraries(ldd)).toEqual([
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });
});

describe('accounts', () => {
  it('has the distroless nonroot user 65532 and no login shell', () => {
    const { passwd, group } = accounts();
    expect(passwd).toContain('nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin');
    expect(group).toContain('nonroot:x:65532:');
    expect(passwd).not.toMatch(/\/bin\/(ba)?sh/);
  });
});
