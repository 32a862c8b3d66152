export { contextName, NODE, startClusters, type Cluster, type ClusterSet, type StartOptions } from './clusters.js';
export { ensureKit, KUBERNETES_VERSION, type Kit } from './kit.js';
export { type Crd, ensureCrds, PROMETHEUS_OPERATOR_VERSION } from './crds.js';
