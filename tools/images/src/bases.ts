/**
 * Local stand-ins for the three images the Dockerfile names, for engines that cannot pull from a
 * public registry: the BuildKit Dockerfile frontend (built from the Go module proxy), a Node build
 * image (Debian bookworm minbase + our Node 24 + npm) and a distroless-like runtime image (our Node
 * 24, its shared libraries, a non-root user, no shell). Each is created only when missing: importing
 * again would give it a new ID and throw away every build's layer cache.
 */
import { type ExecFileOptions, execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { cachedGoBuild, kubeonazureCache, withHeartbeat } from '@kubeonazure/tool-kit';
import { dockerClient } from './engine.js';

/** The npm that the build image carries (the npm registry's `npm` package). */
export const NPM_VERSION = '11.21.2';
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const NONROOT = 65532;

export interface BaseImages {
  /** The `# syntax=` frontend, e.g. `docker/dockerfile:1.20`. */
  frontend: string;
  /** The default of `ARG BUILD_IMAGE`. */
  build: string;
  /** The default of `ARG RUNTIME_IMAGE`. */
  runtime: string;
}

/** The base images a Dockerfile names: its syntax line and the defaults of BUILD_IMAGE and RUNTIME_IMAGE. */
export function baseImagesOf(dockerfile: string): BaseImages {
  const syntax = /^# syntax=(\S+)$/m.exec(dockerfile)?.[1];
  const arg = (name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(dockerfile)?.[1];
  const [frontend, build, runtime] = [syntax, arg('BUILD_IMAGE'), arg('RUNTIME_IMAGE')];
  if (!frontend || !build || !runtime)
    throw new Error('the Dockerfile must name its syntax, BUILD_IMAGE and RUNTIME_IMAGE');
  return { frontend, build, runtime };
}

/** The shared libraries `ldd` lists for a binary, as absolute paths (the vDSO has none). */
export function sharedLibraries(lddOutput: string): string[] {
  return lddOutput
    .split('\n')
    .map((line) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined);
}

/** passwd and group of the runtime image: root and the distroless `nonroot` user, 65532. */
export function accounts(): { passwd: string; group: string } {
  return {
    passwd: `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`,
    group: `root:x:0:\nnonroot:x:${NONROOT}:\n`,
  };
}

/** Copies a file to `dest`, creating its directory. */
function copyInto(source: string, dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(source, dest);
}

const execFileAsync = promisify(execFile);

/** Runs a program to its end without blocking the event loop (the build's heartbeat runs meanwhile). */
async function sh(program: string, args: string[], options: ExecFileOptions = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(program, args, { maxBuffer: 64 * 1024 * 1024, ...options });
    return String(stdout);
  } catch (error) {
    const failed = error as NodeJS.ErrnoException & { stderr?: string; signal?: string };
    const detail = String(failed.stderr ?? failed.message)
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');
    throw new Error(
      `${program} ${args.slice(0, 3).join(' ')} failed (exit ${failed.code ?? failed.signal}): ${detail}`,
    );
  }
}

async function imageExists(docker: string, env: NodeJS.ProcessEnv, name: string): Promise<boolean> {
  return sh(docker, ['image', 'inspect', name], { env }).then(
    () => true,
    () => false,
  );
}

/** A tarball of `dir` (as /), imported as image `name` with the given Dockerfile-style changes. */
async function importImage(
  docker: string,
  env: NodeJS.ProcessEnv,
  name: string,
  dir: string,
  changes: string[],
): Promise<void> {
  const tarball = join(mkdtempSync(join(tmpdir(), 'kubeonazure-base-')), 'rootfs.tar');
  try {
    await sh('tar', ['-cf', tarball, '--numeric-owner', '-C', dir, '.']);
    await sh(docker, ['import', ...changes.flatMap((change) => ['--change', change]), tarball, name], { env });
  } finally {
    rmSync(dirname(tarball), { recursive: true, force: true });
  }
}

/** The dockerfile-frontend binary, built once from tools/dockerfile-frontend and cached by its go.mod/go.sum. */
export function ensureFrontendBinary(moduleDir: string): Promise<string> {
  return cachedGoBuild({
    name: 'dockerfile-frontend',
    cwd: moduleDir,
    hashFiles: ['go.mod', 'go.sum'],
    entry: 'file',
    env: { CGO_ENABLED: '0' },
    missingGo: "building BuildKit's Dockerfile frontend needs Go >= 1.26 on PATH (https://go.dev/dl/)",
    build: async ({ partial, go }) => {
      await go([
        'build',
        '-trimpath',
        '-ldflags',
        '-s -w',
        '-o',
        partial,
        'github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend',
      ]);
    },
  });
}

/** A Debian bookworm minbase root filesystem from debootstrap, cached as a directory. */
async function ensureBookworm(): Promise<string> {
  const rootfs = join(kubeonazureCache(), 'bookworm-minbase');
  if (existsSync(join(rootfs, 'etc/debian_version'))) return rootfs;
  const staging = `${rootfs}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  await sh('debootstrap', [
    '--variant=minbase',
    'bookworm',
    staging,
    process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian',
  ]);
  // No package lists or caches in the image; apt is there for nothing else.
  rmSync(join(staging, 'var/cache/apt/archives'), { recursive: true, force: true });
  rmSync(join(staging, 'var/lib/apt/lists'), { recursive: true, force: true });
  renameSync(staging, rootfs);
  return rootfs;
}

/** npm from its npm package, unpacked into `<dir>/lib/node_modules/npm`. */
async function unpackNpm(prefix: string): Promise<void> {
  const packs = mkdtempSync(join(tmpdir(), 'kubeonazure-npm-'));
  try {
    const file = (
      await sh('npm', ['pack', `npm@${NPM_VERSION}`, '--pack-destination', packs, '--silent'], { cwd: packs })
    )
      .trim()
      .split('\n')
      .at(-1)!;
    const target = join(prefix, 'lib/node_modules/npm');
    mkdirSync(target, { recursive: true });
    await sh('tar', ['-xzf', join(packs, file), '--strip-components=1', '--no-same-owner', '-C', target]);
  } finally {
    rmSync(packs, { recursive: true, force: true });
  }
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(prefix, 'bin/npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(prefix, 'bin/npx'));
}

async function buildImage(docker: string, env: NodeJS.ProcessEnv, name: string, node: string): Promise<void> {
  const stage = mkdtempSync(join(tmpdir(), 'kubeonazure-build-image-'));
  try {
    await sh('cp', ['-a', `${await ensureBookworm()}/.`, stage]);
    copyInto(node, join(stage, 'usr/local/bin/node'));
    await unpackNpm(join(stage, 'usr/local'));
    copyInto(CA_BUNDLE, join(stage, CA_BUNDLE));
    await importImage(docker, env, name, stage, [
      'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin',
      // RUN steps reach the package registry through the machine's own CA bundle (proxies included).
      `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
      'CMD ["node"]',
    ]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

async function runtimeImage(docker: string, env: NodeJS.ProcessEnv, name: string, node: string): Promise<void> {
  const stage = mkdtempSync(join(tmpdir(), 'kubeonazure-runtime-image-'));
  try {
    // Node where distroless puts it, with exactly the libraries it links against, and nothing else.
    copyInto(node, join(stage, 'nodejs/bin/node'));
    for (const library of sharedLibraries(await sh('ldd', [node]))) {
      copyInto(realpathSync(library), join(stage, library));
    }
    const { passwd, group } = accounts();
    copyInto(CA_BUNDLE, join(stage, CA_BUNDLE));
    writeFileSync(join(stage, 'etc/passwd'), passwd);
    writeFileSync(join(stage, 'etc/group'), group);
    mkdirSync(join(stage, 'tmp'));
    chmodSync(join(stage, 'tmp'), 0o1777);
    mkdirSync(join(stage, 'home/nonroot'), { recursive: true });
    chownSync(join(stage, 'home/nonroot'), NONROOT, NONROOT);
    await importImage(docker, env, name, stage, [
      `ENV SSL_CERT_FILE=${CA_BUNDLE}`,
      `USER ${NONROOT}:${NONROOT}`,
      'WORKDIR /home/nonroot',
      'ENTRYPOINT ["/nodejs/bin/node"]',
    ]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

async function frontendImage(docker: string, env: NodeJS.ProcessEnv, name: string, moduleDir: string): Promise<void> {
  const stage = mkdtempSync(join(tmpdir(), 'kubeonazure-frontend-image-'));
  try {
    copyInto(await ensureFrontendBinary(moduleDir), join(stage, 'bin/dockerfile-frontend'));
    // The labels BuildKit reads from a frontend image (as docker/dockerfile's own Dockerfile sets them).
    await importImage(docker, env, name, stage, [
      'LABEL moby.buildkit.frontend.network.none="true"',
      'LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"',
      'ENTRYPOINT ["/bin/dockerfile-frontend"]',
    ]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * Creates the stand-ins that the engine at `dockerHost` lacks, named as the Dockerfile names them,
 * telling `log` each step and, while one runs (minutes for the Go build and debootstrap), a heartbeat.
 * Returns the names it created (empty when all three existed).
 */
export async function ensureBaseImages(
  root: string,
  dockerHost: string,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const env = { ...process.env, DOCKER_HOST: dockerHost };
  const docker = dockerClient();
  const bases = baseImagesOf(readFileSync(join(root, 'tools/images/Dockerfile'), 'utf8'));
  const node = realpathSync(join(root, 'node_modules/node/bin/node'));
  const makers: [string, string, () => Promise<void>][] = [
    [
      bases.frontend,
      "BuildKit's Dockerfile frontend, go build from the Go module proxy",
      () => frontendImage(docker, env, bases.frontend, join(root, 'tools/dockerfile-frontend')),
    ],
    [
      bases.build,
      'the Node build image: debootstrap bookworm minbase, Node 24, npm',
      () => buildImage(docker, env, bases.build, node),
    ],
    [
      bases.runtime,
      'the runtime image: Node 24 and the libraries it links',
      () => runtimeImage(docker, env, bases.runtime, node),
    ],
  ];
  const created: string[] = [];
  for (const [name, what, make] of makers) {
    if (await imageExists(docker, env, name)) continue;
    await withHeartbeat(`stand-in ${name} (${what})`, make, { log });
    created.push(name);
  }
  return created;
}
