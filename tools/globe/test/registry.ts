import { createHash, randomBytes } from 'node:crypto';
import { APPS, imageRepository } from '@kubeonazure/image-refs';
import { type RegistryAuth, startRegistry, type LocalRegistry } from '@kubeonazure/images/engine';
import { afterAll, beforeAll } from 'vitest';

/**
 * The local registry of tools/images (Debian's docker-registry on 127.0.0.1), started for the test
 * file and stopped after it; asking for a login as `auth` says (given when the registry starts).
 */
export function useRegistry(auth?: () => RegistryAuth): () => LocalRegistry {
  let registry: LocalRegistry | undefined;
  beforeAll(async () => {
    registry = await startRegistry(0, auth?.());
  });
  afterAll(async () => {
    await registry?.stop();
  });
  return () => {
    if (registry === undefined) throw new Error('the registry is not started');
    return registry;
  };
}

const sha256 = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

async function pushBlob(
  base: string,
  path: string,
  body: Buffer,
  auth: Record<string, string>,
): Promise<{ digest: string; size: number }> {
  const digest = sha256(body);
  const started = await fetch(`${base}/v2/${path}/blobs/uploads/`, { method: 'POST', headers: auth });
  if (started.status !== 202) throw new Error(`blob upload start: HTTP ${started.status}`);
  const location = new URL(started.headers.get('location') as string, base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/octet-stream', ...auth },
  });
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status}`);
  return { digest, size: body.length };
}

/**
 * Pushes a small OCI image (a config and one layer of random bytes: each push is a new digest) as
 * `<registry>/kubeonazure/<app>:<tag>` for every app, through the registry's HTTP API as docker push
 * does; returns each app's digest. kwok's nodes pull nothing, so the content needs no file system.
 * `authorization`: the header a registry that asks for a login takes for a push, per repository.
 */
export async function pushRelease(
  registry: string,
  tag: string,
  authorization?: (repository: string) => string,
): Promise<Record<string, string>> {
  const base = `http://${registry}`;
  const digests: Record<string, string> = {};
  for (const app of APPS) {
    const path = imageRepository(registry, app).slice(registry.length + 1);
    const auth: Record<string, string> = authorization === undefined ? {} : { authorization: authorization(path) };
    const config = await pushBlob(
      base,
      path,
      Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })),
      auth,
    );
    const layer = await pushBlob(base, path, randomBytes(64), auth);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      }),
    );
    const put = await fetch(`${base}/v2/${path}/manifests/${tag}`, {
      method: 'PUT',
      body: manifest,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...auth },
    });
    if (put.status !== 201) throw new Error(`manifest ${path}:${tag}: HTTP ${put.status} ${await put.text()}`);
    digests[app] = put.headers.get('docker-content-digest') as string;
  }
  return digests;
}
