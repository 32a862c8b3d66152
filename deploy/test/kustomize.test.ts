import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { REGION_NAMES, REGIONS, WRITE_REGION } from '@kubeonazure/regions';
import { describe, expect, it } from 'vitest';
import { k8sDir, readYaml, render, renderOverlay, type K8sObject } from './support.ts';

// Every kind the overlays may render, with the model class that knows its schema. A new kind
// fails the validation test until it is added here.
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};
// Kinds of CRDs, which kubernetes-models does not know: server-side apply checks them against the
// CRDs in the local clusters (tools/clusters installs the monitoring ones, the tests cert-manager's):
// test/monitoring-clusters.test.ts, clusters.test.ts, tls.test.ts.
const CRD_KINDS = new Set([
  'azmonitoring.coreos.com/v1/PodMonitor',
  'cert-manager.io/v1/Certificate',
  'cert-manager.io/v1/ClusterIssuer',
]);

/**
 * How long the apps' readiness checks may wait on the database, which the probes must outwait: the
 * frontend's read timeout (apps/frontend READ_TIMEOUT_MS default) and the streamer's ping
 * (apps/streamer/src/app.ts PING_TIMEOUT_MS).
 */
const READ_TIMEOUT_SECONDS = 2;
const PING_TIMEOUT_SECONDS = 2;

const DNS_LABEL_ANNOTATION = 'service.beta.kubernetes.io/azure-dns-label-name';
const rendered = Object.fromEntries(REGION_NAMES.map((region) => [region, renderOverlay(region)]));

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} rendered`);
  return found;
}

/** The images named once, in the release component (by digest once a release is pinned). */
function configuredImages(): Map<string, string> {
  const { images } = readYaml(`${k8sDir}release/kustomization.yaml`);
  return new Map(
    images.map((image: { name: string; newName: string; digest?: string }) => [
      image.name,
      image.digest === undefined ? image.newName : `${image.newName}@${image.digest}`,
    ]),
  );
}

/** Kubernetes' recommended labels, every one on every object and pod template. */
const RECOMMENDED = ['name', 'instance', 'version', 'component', 'part-of', 'managed-by'].map(
  (label) => `app.kubernetes.io/${label}`,
);

/** Every label selector of an object: what must stay immutable across releases. */
function selectors(object: K8sObject): Record<string, string>[] {
  const spec = object.spec ?? {};
  const found: (Record<string, string> | undefined)[] = [
    spec.selector?.matchLabels ?? (object.kind === 'Service' ? spec.selector : undefined),
    spec.podSelector?.matchLabels,
    ...(spec.template?.spec?.topologySpreadConstraints ?? []).map((spread: any) => spread.labelSelector?.matchLabels),
    // Peers in our namespace; one with a namespaceSelector selects another's pods by their labels
    // (AKS's ama-metrics scrapers in kube-system).
    ...(spec.ingress ?? []).flatMap((rule: any) =>
      (rule.from ?? [])
        .filter((peer: any) => !peer.namespaceSelector)
        .map((peer: any) => peer.podSelector?.matchLabels),
    ),
  ];
  return found.filter((selector): selector is Record<string, string> => selector !== undefined);
}

function kustomizationFiles(dir = k8sDir): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name === 'kustomization.yaml')
    .map((entry) => `${entry.parentPath}/${entry.name}`);
}

/** `NAME<-secret/key` for each secret reference of a container, and whether it is optional. */
function secretRefs(container: any): string[] {
  return (container.env ?? [])
    .filter((variable: any) => variable.valueFrom?.secretKeyRef)
    .map((variable: any) => {
      const ref = variable.valueFrom.secretKeyRef;
      return `${variable.name}<-${ref.name}/${ref.key}${ref.optional ? ' (optional)' : ''}`;
    });
}

describe.each(REGIONS.map((region) => [region.name, region] as const))('overlays/%s', (region, { dnsLabel }) => {
  const objects = rendered[region]!;
  const deployments = objects.filter((object) => object.kind === 'Deployment');

  it('renders only objects that validate against their Kubernetes schema', () => {
    for (const object of objects.filter((o) => !CRD_KINDS.has(`${o.apiVersion}/${o.kind}`))) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(Model, `${object.apiVersion} ${object.kind} has a model`).toBeDefined();
      expect(() => new Model!(object).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
    }
  });

  it('puts everything in the kubeonazure namespace and embeds no Secret', () => {
    expect(find(objects, 'Namespace', 'kubeonazure').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
    // The ClusterIssuer is cluster-scoped.
    for (const object of objects.filter((object) => !['Namespace', 'ClusterIssuer'].includes(object.kind))) {
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('kubeonazure');
    }
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
  });

  it('configures the region through the generated settings ConfigMap', () => {
    const settings = objects.find(
      (object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('settings-'),
    );
    // The service kit's shared variables; per region REGION only: both apps derive the region's
    // record (read tag, write region) from it (@kubeonazure/regions).
    expect(settings?.data).toEqual({
      REGION: region,
      MONGO_DB: 'kubeonazure',
      MONGO_COLLECTION: 'tweets',
      LOG_LEVEL: 'info',
      OPS_PORT: '9464',
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
      // The registry is attached to the cluster (--attach-acr): no pull secret to reference.
      expect(pod.imagePullSecrets).toBeUndefined();
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
        // Literals only name files of a mounted Secret (TLS_CERT_FILE, TLS_KEY_FILE); the rest are references.
        const secretMounts = (container.volumeMounts ?? []).map(
          (mount: { mountPath: string }) => `${mount.mountPath}/`,
        );
        for (const variable of container.env ?? []) {
          if (variable.value !== undefined) {
            expect(
              secretMounts.some((path: string) => variable.value.startsWith(path)),
              `${container.name} ${variable.name} is a literal`,
            ).toBe(true);
          } else {
            expect(variable.valueFrom.secretKeyRef ?? variable.valueFrom.configMapKeyRef).toBeDefined();
          }
        }
      }
    }
  });

  it("gives the frontend its read-only database user and never the streamer's", () => {
    const frontend = find(objects, 'Deployment', 'frontend');
    expect(frontend.spec.template.spec.containers.flatMap(secretRefs)).toEqual([
      'MONGO_URL<-cosmos-db-frontend/connection-string',
    ]);
    const everything = JSON.stringify(objects.filter((object) => object.metadata.name !== 'streamer'));
    expect(everything).not.toContain('cosmos-db-streamer');
  });

  it('serves the frontend: rolling updates, health probes, LoadBalancer 443 -> 8443 and 80 -> 8080 with a region DNS label', () => {
    const frontend = find(objects, 'Deployment', 'frontend');
    expect(frontend.spec.strategy.type).toBe('RollingUpdate');
    const [container] = frontend.spec.template.spec.containers;
    expect(container.ports).toEqual([
      { name: 'https', containerPort: 8443 },
      { name: 'http', containerPort: 8080 },
      { name: 'ops', containerPort: 9464 },
    ]);
    // The kubelet asks the ops port, as for the streamer; /healthz on https is Traffic Manager's.
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'ops' });
    // The default (1 s) is below a read's deadline: a slow database would fail every probe.
    expect(container.readinessProbe.timeoutSeconds).toBeGreaterThan(READ_TIMEOUT_SECONDS);
    expect(container.livenessProbe.timeoutSeconds).toBeGreaterThan(READ_TIMEOUT_SECONDS);

    const service = find(objects, 'Service', 'frontend');
    expect(service.spec.type).toBe('LoadBalancer');
    // Only the public ports: /metrics (ops) stays inside the cluster. TLS is passed through to the pod.
    expect(service.spec.ports).toEqual([
      { name: 'https', port: 443, targetPort: 'https' },
      { name: 'http', port: 80, targetPort: 'http' },
    ]);
    expect(service.spec.selector).toEqual(frontend.spec.selector.matchLabels);
    expect(service.metadata.annotations?.[DNS_LABEL_ANNOTATION]).toBe(dnsLabel);
  });

  it('keeps client addresses (externalTrafficPolicy Local), for the per-client limits', () => {
    expect(find(objects, 'Service', 'frontend').spec.externalTrafficPolicy).toBe('Local');
  });

  it('lets the endpoint go before the frontend stops listening, within the grace period', () => {
    const pod = find(objects, 'Deployment', 'frontend').spec.template.spec;
    const { seconds } = pod.containers[0].lifecycle.preStop.sleep;
    expect(seconds).toBeGreaterThan(0);
    // After the pause the frontend drains for up to 20 s (SHUTDOWN_TIMEOUT_MS).
    expect(pod.terminationGracePeriodSeconds ?? 30).toBeGreaterThanOrEqual(seconds + 20);
  });

  it('denies ingress but to the frontend HTTPS and HTTP ports and, from AKS managed Prometheus, the ops ports', () => {
    const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
    const deny = find(objects, 'NetworkPolicy', 'default-deny-ingress');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    // Every allowed path, as pod selector <- source : port.
    const allowed = policies.flatMap((policy) =>
      (policy.spec.ingress ?? []).flatMap((rule: any) =>
        rule.ports.map((port: any) => {
          const pods = policy.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] ?? 'every pod';
          const source = rule.from ? JSON.stringify(rule.from) : 'anywhere';
          return `${pods} <- ${source} : ${port.port}`;
        }),
      ),
    );
    // From anywhere: the load balancer passes the visitor's address through, to HTTPS and to the redirect.
    expect(allowed.sort()).toEqual([
      `every pod <- ${JSON.stringify([
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { rsName: 'ama-metrics' } },
        },
      ])} : ops`,
      'frontend <- anywhere : http',
      'frontend <- anywhere : https',
    ]);
    // Named ports resolve on the pods that have them: the ops port is named ops on every pod, and
    // is the OPS_PORT the apps listen on.
    const settings = objects.find(
      (object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('settings-'),
    );
    for (const deployment of deployments) {
      const ops = deployment.spec.template.spec.containers[0].ports.find((port: any) => port.name === 'ops');
      expect(ops?.containerPort).toBe(Number(settings?.data.OPS_PORT));
    }
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
    expect(pdb.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'frontend' });
    expect(frontend.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    // A database outage makes every pod unready; drains must still be able to evict them.
    expect(pdb.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    const [spread] = frontend.spec.template.spec.topologySpreadConstraints;
    expect(spread).toMatchObject({
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } },
    });
  });

  it('puts the recommended labels on every object and pod template, the region as instance, and none in a selector', () => {
    const version = objects[0]!.metadata.labels?.['app.kubernetes.io/version'];
    for (const object of objects) {
      const where = `${object.kind}/${object.metadata.name}`;
      const templates = object.spec?.template ? [object.spec.template.metadata.labels] : [];
      for (const labels of [object.metadata.labels, ...templates]) {
        expect(Object.keys(labels ?? {}), where).toEqual(expect.arrayContaining(RECOMMENDED));
        expect(labels, where).toMatchObject({
          'app.kubernetes.io/instance': region,
          'app.kubernetes.io/part-of': 'kubeonazure',
          'app.kubernetes.io/managed-by': 'kustomize',
          'app.kubernetes.io/version': version,
        });
      }
      // Selectors are immutable (Deployments) or would stop matching the running pods mid-rollout.
      for (const selector of selectors(object))
        expect(Object.keys(selector), where).toEqual(['app.kubernetes.io/name']);
    }
    const component = (kind: string, name: string) =>
      find(objects, kind, name).metadata.labels?.['app.kubernetes.io/component'];
    expect([
      component('Deployment', 'frontend'),
      component('Service', 'frontend'),
      component('Deployment', 'streamer'),
    ]).toEqual(['web', 'web', 'ingest']);
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
    // The default (1 s) is below the database ping of /readyz: a slow database would fail every probe.
    expect(container.readinessProbe.timeoutSeconds).toBeGreaterThan(PING_TIMEOUT_SECONDS);
    const streamerSettings = objects.find(
      (object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('streamer-'),
    );
    const drainSeconds = Number(streamerSettings?.data.SHUTDOWN_GRACE_MS) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds);
    expect(streamerSettings?.data.LEASE).toBe('true');
    // The X secret is in every region, and optional: a region without it still starts (and says why it cannot stream).
    expect(secretRefs(container)).toEqual([
      'MONGO_URL<-cosmos-db-streamer/connection-string',
      'X_BEARER_TOKEN<-x-api/bearer-token (optional)',
    ]);
  });
});

/** The write region's overlay with one more component, as a region that opts into it would list it. */
function renderOverlayWith(component: string): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-kustomize-'));
  try {
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      // kustomize takes only relative paths.
      `resources: [${relative(dir, `${k8sDir}overlays/${WRITE_REGION.name}`)}]\ncomponents: [${relative(dir, `${k8sDir}components/${component}`)}]\n`,
    );
    return render(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('components/acr-pull-secret', () => {
  it('makes every Deployment of an overlay pull with acr-pull, for clusters not attached to the registry', () => {
    const deployments = renderOverlayWith('acr-pull-secret').filter((object) => object.kind === 'Deployment');
    expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual(['frontend', 'streamer']);
    for (const deployment of deployments)
      expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'acr-pull' }]);
  });
});

// Without cert-manager's webhook nothing checks these beyond the CRD schema and its CEL rules
// (tls.test.ts applies them to a real API server with the CRDs): the names and the issuer are
// checked here.
describe('components/tls', () => {
  const objects = render(`${k8sDir}../test/tls/component`);
  const settings = find(objects, 'ConfigMap', 'tls-settings').data;
  const certificate = find(objects, 'Certificate', 'frontend');
  const issuer = find(objects, 'ClusterIssuer', 'letsencrypt');

  it('fills every placeholder from tls-settings, and only renders the certificate, its issuer and the settings', () => {
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual([
      'Certificate/frontend',
      'ClusterIssuer/letsencrypt',
      'ConfigMap/tls-settings',
    ]);
    const text = JSON.stringify([certificate, issuer]);
    for (const key of Object.keys(settings)) expect(text, key).not.toContain(key);
  });

  it('certifies the custom domain only: a name in the DNS zone, never the trafficmanager.net name', () => {
    expect(settings.CUSTOM_DOMAIN.endsWith(`.${settings.DNS_ZONE}`)).toBe(true);
    expect(certificate.spec.dnsNames).toEqual([settings.CUSTOM_DOMAIN]);
    expect(certificate.spec.commonName).toBeUndefined();
    expect(certificate.metadata.namespace).toBe('kubeonazure');
    expect(certificate.spec.secretName).toBe('frontend-tls');
    expect(certificate.spec.privateKey).toEqual({ algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' });
    expect(certificate.spec.issuerRef).toEqual({
      group: 'cert-manager.io',
      kind: 'ClusterIssuer',
      name: 'letsencrypt',
    });
  });

  it.each(REGION_NAMES)(
    'turns HTTPS on in the frontend of %s: Secret mounted, 443 on the Service, admitted',
    (region) => {
      const objects = rendered[region]!;
      for (const object of objects.filter((o) => ['Deployment', 'Service', 'NetworkPolicy'].includes(o.kind))) {
        const Model = MODELS[`${object.apiVersion}/${object.kind}`]!;
        expect(() => new Model(object).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
      }
      const pod = find(objects, 'Deployment', 'frontend').spec.template.spec;
      const container = pod.containers.find((c: { name: string }) => c.name === 'frontend');
      expect(
        container.ports
          .map((port: { name: string; containerPort: number }) => `${port.name}:${port.containerPort}`)
          .sort(),
      ).toEqual(['http:8080', 'https:8443', 'ops:9464']);
      const env = Object.fromEntries(
        container.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [
          e.name,
          e.value ?? e.valueFrom,
        ]),
      );
      const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'tls');
      expect(mount).toEqual({ name: 'tls', mountPath: '/etc/frontend-tls', readOnly: true });
      expect(env.TLS_CERT_FILE).toBe(`${mount.mountPath}/tls.crt`);
      expect(env.TLS_KEY_FILE).toBe(`${mount.mountPath}/tls.key`);
      expect(env.PUBLIC_HOST).toEqual({ configMapKeyRef: { name: 'tls-settings', key: 'CUSTOM_DOMAIN' } });
      // Not optional: without the certificate a new pod waits rather than crash-looping on missing files.
      expect(pod.volumes.find((v: { name: string }) => v.name === 'tls')).toEqual({
        name: 'tls',
        secret: { secretName: find(objects, 'Certificate', 'frontend').spec.secretName },
      });
      expect(find(objects, 'Service', 'frontend').spec.ports).toEqual(
        expect.arrayContaining([
          { name: 'https', port: 443, targetPort: 'https' },
          { name: 'http', port: 80, targetPort: 'http' },
        ]),
      );
      expect(find(objects, 'NetworkPolicy', 'frontend-http').spec.ingress).toEqual([
        { ports: [{ port: 'http' }, { port: 'https' }] },
      ]);
    },
  );

  it('leaves the base HTTP-only', () => {
    const objects = render(`${k8sDir}base`);
    expect(find(objects, 'Service', 'frontend').spec.ports.map((p: { port: number }) => p.port)).toEqual([80]);
    expect(JSON.stringify(find(objects, 'Deployment', 'frontend'))).not.toContain('TLS_');
  });

  it("asks Let's Encrypt with DNS-01 in the zone's Azure DNS through workload identity, with no secret", () => {
    expect(issuer.metadata.namespace).toBeUndefined();
    expect(issuer.spec.acme.server).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(issuer.spec.acme.solvers).toEqual([
      {
        selector: { dnsZones: [settings.DNS_ZONE] },
        dns01: {
          azureDNS: {
            environment: 'AzurePublicCloud',
            hostedZoneName: settings.DNS_ZONE,
            resourceGroupName: settings.DNS_ZONE_RESOURCE_GROUP,
            subscriptionID: settings.DNS_ZONE_SUBSCRIPTION_ID,
            managedIdentity: { clientID: settings.DNS_IDENTITY_CLIENT_ID },
          },
        },
      },
    ]);
  });
});

describe('the overlays together', () => {
  it('give every region its own DNS label, the one in libs/regions/regions.json', () => {
    const labels = REGION_NAMES.map(
      (region) => find(rendered[region]!, 'Service', 'frontend').metadata.annotations?.[DNS_LABEL_ANNOTATION],
    );
    expect(labels).toEqual(REGIONS.map((region) => region.dnsLabel));
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
    expect(readYaml(`${k8sDir}base/kustomization.yaml`)).toMatchObject({
      namespace: 'kubeonazure',
      labels: expect.any(Array),
    });
    // The release is listed once, last in each overlay (below): a component in the base would label the
    // base's objects only.
    expect(readYaml(`${k8sDir}base/kustomization.yaml`).components).toBeUndefined();
  });

  it('keep each overlay thin: the base, REGION, the instance label, the DNS label, AKS scraping and TLS components and the release, nothing else', () => {
    for (const region of REGION_NAMES) {
      const overlay = readYaml(`${k8sDir}overlays/${region}/kustomization.yaml`);
      expect(Object.keys(overlay).sort()).toEqual([
        'apiVersion',
        'components',
        'configMapGenerator',
        'kind',
        'labels',
        'resources',
      ]);
      expect(overlay.labels).toEqual([{ pairs: { 'app.kubernetes.io/instance': region }, includeTemplates: true }]);
      expect(overlay.resources).toEqual(['../../base']);
      expect(overlay.components).toEqual([
        '../../components/region-dns-label',
        '../../components/monitoring/aks',
        '../../components/tls',
        '../../release',
      ]);
      expect(overlay.configMapGenerator).toEqual([
        { name: 'settings', behavior: 'merge', literals: [`REGION=${region}`] },
      ]);
      expect(readdirSync(`${k8sDir}overlays/${region}`)).toEqual(['kustomization.yaml']);
    }
  });

  it('keep components for variants only: every region runs the base', () => {
    // monitoring: which Prometheus scrapes (AKS managed or the Prometheus Operator) is per cluster.
    expect(readdirSync(`${k8sDir}components`).sort()).toEqual([
      'acr-pull-secret',
      'monitoring',
      'region-dns-label',
      'tls',
    ]);
  });
});
