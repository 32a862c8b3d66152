export { contextName, NODE, startClusters, type Cluster, type ClusterSet, type StartOptions } from './clusters.js';
export { ensureKit, KUBERNETES_VERSION, type Kit } from './kit.js';
