/**
 * A rendered overlay's pod settings as `docker run` flags, so an image is started the way its
 * Deployment starts it: user, read-only root with the emptyDir /tmp as a tmpfs, capabilities, no new
 * privileges, memory limit, and the environment (plain values, ConfigMaps, and the Secrets given).
 */
import { parseAllDocuments } from 'yaml';

// The rendered manifests are Kubernetes objects; only the fields read here are typed.
interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[] };
}
interface Container {
  name: string;
  image: string;
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }[];
  envFrom?: { configMapRef?: { name: string } }[];
  resources?: { limits?: { memory?: string } };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext?: SecurityContext;
  volumes?: { name: string; emptyDir?: { sizeLimit?: string }; secret?: { secretName: string } }[];
  terminationGracePeriodSeconds?: number;
}
export interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template: { spec: PodSpec } };
}

export interface PodRun {
  /** `docker run` flags, before the image. */
  args: string[];
  /** terminationGracePeriodSeconds (Kubernetes' default 30 when absent). */
  graceSeconds: number;
}

export function parseManifests(rendered: string): K8sObject[] {
  return parseAllDocuments(rendered)
    .map((document) => document.toJS() as K8sObject)
    .filter((object) => object !== null);
}

/** `256Mi` → `256m`, `1Gi` → `1g` (docker's binary units), plain bytes as given. */
export function dockerMemory(quantity: string): string {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`unsupported memory quantity: ${quantity}`);
  const unit = { Ki: 'k', Mi: 'm', Gi: 'g' }[match[2] as 'Ki' | 'Mi' | 'Gi'] ?? 'b';
  return `${match[1]}${unit}`;
}

/**
 * The docker run flags for the first container of Deployment `name`. `secrets` maps
 * `<secret>/<key>` to a value; a non-optional reference without one is an error. `overrides` replace
 * environment variables after the manifest's (e.g. PORT, on the host network). `secretDirs` maps a
 * Secret volume's secret name to a directory holding its files, mounted read-only as the kubelet does.
 */
export function podRun(
  objects: K8sObject[],
  name: string,
  secrets: Record<string, string>,
  overrides: Record<string, string>,
  secretDirs: Record<string, string> = {},
): PodRun {
  const deployment = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === name);
  const pod = deployment?.spec?.template.spec;
  const container = pod?.containers[0];
  if (!pod || !container) throw new Error(`no Deployment ${name} with a container in the rendered overlay`);
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const configMap = objects.find(
      (object) => object.kind === 'ConfigMap' && object.metadata.name === source.configMapRef?.name,
    );
    if (!configMap) throw new Error(`envFrom names no ConfigMap in the overlay: ${JSON.stringify(source)}`);
    for (const [key, value] of Object.entries(configMap.data ?? {})) env.set(key, value);
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref) {
      const value = secrets[`${ref.name}/${ref.key}`];
      if (value !== undefined) env.set(variable.name, value);
      else if (!ref.optional) throw new Error(`no value for the Secret ${ref.name}/${ref.key}`);
    } else if (typeof variable.value === 'string') {
      env.set(variable.name, variable.value);
    }
  }
  for (const [key, value] of Object.entries(overrides)) env.set(key, value);

  const security = { ...pod.securityContext, ...container.securityContext };
  const args: string[] = [];
  if (security.runAsUser !== undefined)
    args.push('--user', `${security.runAsUser}:${security.runAsGroup ?? security.runAsUser}`);
  if (security.readOnlyRootFilesystem) args.push('--read-only');
  for (const capability of security.capabilities?.drop ?? []) args.push('--cap-drop', capability);
  if (security.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  const memory = container.resources?.limits?.memory;
  if (memory) args.push('--memory', dockerMemory(memory));
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((candidate) => candidate.name === mount.name);
    if (volume?.secret) {
      const dir = secretDirs[volume.secret.secretName];
      if (dir === undefined) throw new Error(`no files for the Secret volume ${volume.secret.secretName}`);
      args.push('--volume', `${dir}:${mount.mountPath}:ro`);
      continue;
    }
    if (!volume?.emptyDir)
      throw new Error(`volume ${mount.name} is neither an emptyDir nor a Secret; only those are supported`);
    const size = volume.emptyDir.sizeLimit ? `,size=${dockerMemory(volume.emptyDir.sizeLimit)}` : '';
    args.push('--tmpfs', `${mount.mountPath}:rw,nosuid,nodev${size}`);
  }
  for (const [key, value] of env) args.push('--env', `${key}=${value}`);
  return { args, graceSeconds: pod.terminationGracePeriodSeconds ?? 30 };
}
