import { readdirSync, readFileSync } from 'node:fs';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { DISPLAY_NAMES, k8sDir, readYaml, REGIONS, renderOverlay, type K8sObject } from './support.ts';

// Every kind the overlays may render, with the model class that knows its schema. A new kind
// fails the validation test until it is added here.
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

const DNS_LABEL_ANNOTATION = 'service.beta.kubernetes.io/azure-dns-label-name';
const rendered = Object.fromEntries(REGIONS.map((region) => [region, renderOverlay(region)]));

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} rendered`);
  return found;
}

/** The registry named once, in components/images. */
function configuredImages(): Map<string, string> {
  const { images } = readYaml(`${k8sDir}components/images/kustomization.yaml`);
  return new Map(images.map((image: { name: string; newName: string; newTag: string }) => [image.name, `${image.newName}:${image.newTag}`]));
}

function kustomizationFiles(dir = k8sDir): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name === 'kustomization.yaml')
    .map((entry) => `${entry.parentPath}/${entry.name}`);
}

describe.each(REGIONS)('overlays/%s', (region) => {
  const objects = rendered[region]!;
  const deployments = objects.filter((object) => object.kind === 'Deployment');

  it('renders only objects that validate against their Kubernetes schema', () => {
    for (const object of objects) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(Model, `${object.apiVersion} ${object.kind} has a model`).toBeDefined();
      expect(() => new Model!(object).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
    }
  });

  it('puts everything in the kubeonazure namespace and embeds no Secret', () => {
    expect(find(objects, 'Namespace', 'kubeonazure').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const object of objects.filter((object) => object.kind !== 'Namespace')) {
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('kubeonazure');
    }
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
  });

  it('configures the region through the generated settings ConfigMap', () => {
    const settings = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('settings-'));
    expect(settings?.data).toMatchObject({
      REGION: region,
      MONGO_READ_REGION: DISPLAY_NAMES[region],
      MONGO_DB: 'kubeonazure',
      MONGO_COLLECTION: 'tweets',
    });
    for (const deployment of deployments) {
      const refs = deployment.spec.template.spec.containers[0].envFrom.map((source: any) => source.configMapRef.name);
      expect(refs).toContain(settings!.metadata.name);
    }
  });

  it('runs every pod locked down: non-root, read-only root, no capabilities, seccomp, no token, limits', () => {
    expect(deployments.length).toBeGreaterThan(0);
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.imagePullSecrets).toEqual([{ name: 'acr-pull' }]);
      for (const container of pod.containers) {
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(container.resources.limits).sort()).toEqual(['cpu', 'memory']);
        expect(container.readinessProbe.httpGet.path).toBeTruthy();
        expect(container.livenessProbe.httpGet.path).toBeTruthy();
      }
    }
  });

  it('takes secrets by reference only and images from the configured registry', () => {
    const images = configuredImages();
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) {
        expect(container.image).toBe(images.get(container.name));
        for (const variable of container.env ?? []) {
          expect(variable.value, `${container.name} ${variable.name} is not a literal`).toBeUndefined();
          expect(variable.valueFrom.secretKeyRef).toBeDefined();
        }
      }
    }
    const secretRefs = deployments.flatMap((deployment) =>
      deployment.spec.template.spec.containers.flatMap((container: any) =>
        (container.env ?? []).map((variable: any) => `${variable.name}<-${variable.valueFrom.secretKeyRef.name}/${variable.valueFrom.secretKeyRef.key}`),
      ),
    );
    expect(secretRefs).toContain('MONGO_URL<-cosmos-db/connection-string');
  });

  it('serves the frontend: rolling updates, health probes, LoadBalancer 80 -> 8080 with a region DNS label', () => {
    const frontend = find(objects, 'Deployment', 'frontend');
    expect(frontend.spec.strategy.type).toBe('RollingUpdate');
    const [container] = frontend.spec.template.spec.containers;
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });

    const service = find(objects, 'Service', 'frontend');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
    expect(service.spec.selector).toEqual(frontend.spec.selector.matchLabels);
    expect(service.metadata.annotations?.[DNS_LABEL_ANNOTATION]).toBe(`kubeonazure-${region}`);
  });

  it('keeps at least two frontends: HPA from 2, PDB over the same pods', () => {
    const frontend = find(objects, 'Deployment', 'frontend');
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'frontend');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'frontend' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    // The HPA owns the count; a replicas field would reset it on every apply.
    expect(frontend.spec.replicas).toBeUndefined();
    const pdb = find(objects, 'PodDisruptionBudget', 'frontend');
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    expect(pdb.spec.selector.matchLabels).toEqual(frontend.spec.template.metadata.labels);
    const [spread] = frontend.spec.template.spec.topologySpreadConstraints;
    expect(spread).toMatchObject({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: frontend.spec.template.metadata.labels } });
  });

  it('runs exactly one streamer, replaced not rolled, streaming only with the ingest lease', () => {
    const streamers = deployments.filter((deployment) => deployment.metadata.name === 'streamer');
    const [streamer] = streamers;
    expect(streamers).toHaveLength(1);
    expect(streamer!.spec.replicas).toBe(1);
    expect(streamer!.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = streamer!.spec.template.spec;
    const [container] = pod.containers;
    expect(container.ports).toEqual([{ name: 'ops', containerPort: 9464 }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'ops' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
    const streamerSettings = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('streamer-'));
    const drainSeconds = Number(streamerSettings?.data.SHUTDOWN_GRACE_MS) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds);
    expect(streamerSettings?.data.LEASE).toBe('true');
    const env = container.env.map(
      (variable: any) =>
        `${variable.name}<-${variable.valueFrom.secretKeyRef.name}/${variable.valueFrom.secretKeyRef.key}${variable.valueFrom.secretKeyRef.optional ? '?' : ''}`,
    );
    // The X secret is in every region, and optional: a region without it still starts (and says why it cannot stream).
    expect(env).toEqual(['MONGO_URL<-cosmos-db/connection-string', 'X_BEARER_TOKEN<-x-api/bearer-token?']);
  });
});

describe('the overlays together', () => {
  it('give every region its own DNS label', () => {
    const labels = REGIONS.map((region) => find(rendered[region]!, 'Service', 'frontend').metadata.annotations?.[DNS_LABEL_ANNOTATION]);
    expect(new Set(labels).size).toBe(REGIONS.length);
  });

  it('use current kustomize idioms only', () => {
    const files = kustomizationFiles();
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const kustomization = readYaml(file);
      for (const deprecated of ['bases', 'commonLabels', 'patchesStrategicMerge', 'patchesJson6902', 'vars']) {
        expect(kustomization, `${file} uses ${deprecated}`).not.toHaveProperty(deprecated);
      }
    }
    expect(readYaml(`${k8sDir}base/kustomization.yaml`)).toMatchObject({ namespace: 'kubeonazure', labels: expect.any(Array) });
  });

  it('keep each overlay thin: region settings, its DNS label and shared components, nothing else', () => {
    for (const region of REGIONS) {
      const overlay = readYaml(`${k8sDir}overlays/${region}/kustomization.yaml`);
      expect(Object.keys(overlay).sort()).toEqual(['apiVersion', 'components', 'configMapGenerator', 'kind', 'patches', 'resources']);
      expect(overlay.resources).toEqual(['../../base']);
      expect(overlay.components.at(-1)).toBe('../../components/images');
      const patchFiles = readdirSync(`${k8sDir}overlays/${region}`).filter((name) => name !== 'kustomization.yaml');
      expect(patchFiles).toEqual(['service-dns-label.yaml']);
      expect(readFileSync(`${k8sDir}overlays/${region}/service-dns-label.yaml`, 'utf8')).toContain(`kubeonazure-${region}`);
    }
  });
});
