import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Region } from '@kubeonazure/regions';

/** The command that writes the generated files, for messages that ask to run it. */
export const GENERATE_COMMAND = 'npm run generate';

const ROLE: Record<Region['role'], string> = {
  write: 'starts as the Cosmos DB write region; its streamer takes the ingest lease first',
  read: 'starts as a read region; its streamer stands by',
};

/**
 * A thin overlay: the base, REGION, the instance label, the component that turns REGION into the
 * Service's DNS label (a replacement must run after the overlay's merge, so it cannot live in the
 * base), scraping by AKS managed Prometheus (its PodMonitor needs the azmonitoring.coreos.com CRD in
 * the cluster), HTTPS (components/tls: every region at once, as Traffic Manager probes every region
 * over HTTPS), and the release, last: its images and version label reach what the overlay holds, the
 * base and the components' objects alike, so it is listed here and not in the base (whose components
 * would label only the base's objects).
 */
function overlay(region: Region): string {
  return `# Generated from libs/regions/regions.json by \`${GENERATE_COMMAND}\`: edit the list, not this file.
# ${region.displayName} (${region.city}) ${ROLE[region.role]}.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
components:
  - ../../components/region-dns-label
  - ../../components/monitoring/aks
  - ../../components/tls
  # The images by digest and the version label, for the base's objects and the components' alike: last.
  - ../../release
# The recommended label naming this installation: one per region.
labels:
  - pairs:
      app.kubernetes.io/instance: ${region.name}
    includeTemplates: true
configMapGenerator:
  - name: settings
    behavior: merge
    literals:
      - REGION=${region.name}
`;
}

/**
 * The 2017 walkthrough's cluster (acs-engine \`vlabs\`): one master, two Standard_D2_v2 agents. The
 * key and the service principal stay empty; \`acs-engine generate --set\` fills them in.
 */
function apimodel(region: Region): string {
  const model = {
    apiVersion: 'vlabs',
    location: region.name,
    properties: {
      orchestratorProfile: { orchestratorType: 'Kubernetes' },
      // Also the name of the kube context acs-engine writes.
      masterProfile: { count: 1, dnsPrefix: `kubeonazure-${region.name}`, vmSize: 'Standard_D2_v2' },
      agentPoolProfiles: [
        {
          name: 'linuxpool1',
          count: 2,
          vmSize: 'Standard_D2_v2',
          availabilityProfile: 'AvailabilitySet',
          osType: 'Linux',
        },
      ],
      linuxProfile: { adminUsername: 'azureuser', ssh: { publicKeys: [{ keyData: '' }] } },
      servicePrincipalProfile: { clientId: '', secret: '' },
    },
  };
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** Every generated file, by its path under deploy/. */
export function generatedFiles(regions: readonly Region[]): Map<string, string> {
  return new Map(
    regions.flatMap((region): [string, string][] => [
      [`k8s/overlays/${region.name}/kustomization.yaml`, overlay(region)],
      [`acs-engine/${region.name}.json`, apimodel(region)],
    ]),
  );
}

/**
 * Of the overlay folders and apimodels present (`k8s/overlays/<name>`, `acs-engine/<file>`), those of
 * regions no longer listed. Other files in acs-engine/ (README, .gitignore, _output) are not generated.
 */
export function staleFiles(present: readonly string[], regions: readonly Region[]): string[] {
  const names = new Set(regions.map((region) => region.name));
  return present.filter((path) => {
    const overlayMatch = /^k8s\/overlays\/([^/]+)$/.exec(path);
    if (overlayMatch) return !names.has(overlayMatch[1]!);
    const apimodelMatch = /^acs-engine\/([^/]+)\.json$/.exec(path);
    return apimodelMatch !== null && !names.has(apimodelMatch[1]!);
  });
}

/** The overlay folders and the files in acs-engine/ under `deployDir`, as staleFiles takes them. */
export function presentFiles(deployDir: string): string[] {
  return [
    ...readdirSync(join(deployDir, 'k8s/overlays')).map((name) => `k8s/overlays/${name}`),
    ...readdirSync(join(deployDir, 'acs-engine')).map((name) => `acs-engine/${name}`),
  ];
}

/**
 * Writes every generated file under `deployDir` (deploy/, or a copy of it) and removes the overlays
 * and apimodels of regions not in `regions`; returns what it wrote and removed.
 */
export function writeGenerated(
  deployDir: string,
  regions: readonly Region[],
): { written: string[]; removed: string[] } {
  const files = generatedFiles(regions);
  for (const [path, content] of files) {
    mkdirSync(dirname(join(deployDir, path)), { recursive: true });
    writeFileSync(join(deployDir, path), content);
  }
  const removed = staleFiles(presentFiles(deployDir), regions);
  for (const path of removed) rmSync(join(deployDir, path), { recursive: true, force: true });
  return { written: [...files.keys()], removed };
}
