import { REGION_NAMES } from '@kubeonazure/regions';
import { describe, expect, it } from 'vitest';
import { renderOverlay, selects, type K8sObject, type LabelSelector } from './support.ts';

// The egress NetworkPolicies of base (base/egress-policies.yaml), rendered per overlay: which paths
// out each app's pods get, decided the way the API server applies selectors to the pod template
// labels the Deployments render. deploy/test/clusters.test.ts matches the same selectors against the
// live pods of a real API server.

const METADATA_ENDPOINT = '169.254.169.254';
/** CoreDNS on AKS (and kubeadm clusters): its pod labels and its namespace's automatic name label. */
const KUBE_DNS = { pod: { 'k8s-app': 'kube-dns' }, namespace: { 'kubernetes.io/metadata.name': 'kube-system' } };

interface Peer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
}
interface EgressRule {
  to?: Peer[];
  ports?: { protocol?: string; port: number | string }[];
}

const ipv4 = (address: string): number => address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);

/** Whether an IPv4 CIDR contains an address. */
function contains(cidr: string, address: string): boolean {
  const [network, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(network) / size) === Math.floor(ipv4(address) / size);
}

/** Whether a peer admits traffic to an address outside the cluster. */
const admitsAddress = (peer: Peer, address: string): boolean =>
  peer.ipBlock !== undefined &&
  contains(peer.ipBlock.cidr, address) &&
  !(peer.ipBlock.except ?? []).some((except) => contains(except, address));

/** A rule's destination in words: kube-dns, the outside but the metadata endpoint, or what it is. */
function describePeer(peer: Peer): string {
  if (peer.namespaceSelector && peer.podSelector && !peer.ipBlock) {
    const isKubeDns =
      selects(peer.namespaceSelector, KUBE_DNS.namespace) &&
      selects(peer.podSelector, KUBE_DNS.pod) &&
      // Not every pod of kube-system: another pod there is refused.
      !selects(peer.podSelector, { 'k8s-app': 'metrics-server' });
    return isKubeDns ? 'kube-dns' : JSON.stringify(peer);
  }
  if (peer.ipBlock && admitsAddress(peer, '20.40.60.80') && !admitsAddress(peer, METADATA_ENDPOINT))
    return 'anywhere but the metadata endpoint';
  return JSON.stringify(peer);
}

/** `destination : PROTOCOL/port` for every path out a pod with these labels gets from the policies. */
function egressOf(policies: K8sObject[], labels: Record<string, string>): string[] {
  return policies
    .filter((policy) => selects(policy.spec.podSelector, labels))
    .flatMap((policy) =>
      ((policy.spec.egress ?? []) as EgressRule[]).flatMap((rule) =>
        (rule.to ?? [{ ipBlock: { cidr: '0.0.0.0/0' } }]).flatMap((peer) =>
          (rule.ports ?? [{ port: 'any' }]).map(
            (port) => `${describePeer(peer)} : ${port.protocol ?? 'TCP'}/${port.port}`,
          ),
        ),
      ),
    )
    .sort();
}

describe.each(REGION_NAMES)('overlays/%s: egress', (region) => {
  const objects = renderOverlay(region);
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
  const podLabels = (name: string): Record<string, string> =>
    objects.find((object) => object.kind === 'Deployment' && object.metadata.name === name)!.spec.template.metadata
      .labels;

  it('denies egress by default: every pod of the namespace is selected by a policy of type Egress', () => {
    const deny = policies.find((policy) => policy.metadata.name === 'default-deny-egress')!;
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Egress'] });
  });

  it('lets the frontend reach DNS and Cosmos DB (10255) only', () => {
    expect(egressOf(policies, podLabels('frontend'))).toEqual([
      'anywhere but the metadata endpoint : TCP/10255',
      'kube-dns : TCP/53',
      'kube-dns : UDP/53',
    ]);
  });

  it('lets the streamer reach DNS, Cosmos DB (10255) and the X API (443) only', () => {
    expect(egressOf(policies, podLabels('streamer'))).toEqual([
      'anywhere but the metadata endpoint : TCP/10255',
      'anywhere but the metadata endpoint : TCP/443',
      'kube-dns : TCP/53',
      'kube-dns : UDP/53',
    ]);
  });

  it('gives a pod of any other app in the namespace nothing but DNS', () => {
    expect(egressOf(policies, { 'app.kubernetes.io/name': 'debug' })).toEqual([
      'kube-dns : TCP/53',
      'kube-dns : UDP/53',
    ]);
  });

  it('never admits the instance metadata endpoint, on any port', () => {
    const peers = policies.flatMap((policy) =>
      ((policy.spec.egress ?? []) as EgressRule[]).flatMap((rule) => rule.to ?? []),
    );
    expect(peers.length).toBeGreaterThan(0);
    for (const peer of peers) expect(admitsAddress(peer, METADATA_ENDPOINT), JSON.stringify(peer)).toBe(false);
    // Every rule names its destination: a rule without `to` would admit every address.
    for (const policy of policies)
      for (const rule of (policy.spec.egress ?? []) as EgressRule[])
        expect(rule.to, policy.metadata.name).toBeDefined();
  });
});

describe('the helpers of this test', () => {
  it('tell a CIDR that holds an address from one that does not', () => {
    expect(contains('0.0.0.0/0', METADATA_ENDPOINT)).toBe(true);
    expect(contains('169.254.169.254/32', METADATA_ENDPOINT)).toBe(true);
    expect(contains('169.254.169.255/32', METADATA_ENDPOINT)).toBe(false);
    expect(contains('10.0.0.0/8', METADATA_ENDPOINT)).toBe(false);
    expect(admitsAddress({ ipBlock: { cidr: '0.0.0.0/0' } }, METADATA_ENDPOINT)).toBe(true);
  });

  it('apply selectors as the API server does', () => {
    const labels = { 'app.kubernetes.io/name': 'frontend' };
    expect(selects({}, labels)).toBe(true);
    expect(selects({ matchLabels: { 'app.kubernetes.io/name': 'streamer' } }, labels)).toBe(false);
    const either = { key: 'app.kubernetes.io/name', operator: 'In' as const, values: ['frontend', 'streamer'] };
    expect(selects({ matchExpressions: [either] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [either] }, {})).toBe(false);
    expect(selects({ matchExpressions: [{ ...either, operator: 'NotIn' }] }, labels)).toBe(false);
  });
});
