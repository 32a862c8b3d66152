/** What $FAKE_KUBECTL_SCENARIO tells the fake kubectl (test/fake-kubectl/kubectl); contexts by name. */
export interface Scenario {
  /** `kubectl config get-contexts -o name`; default the three kubeonazure-<region> contexts. */
  contexts?: string[];
  /** Every call with this --context fails like a cluster that cannot be reached. */
  unreachable?: string[];
  /** `kubectl rollout status` fails (progress deadline exceeded) in these contexts. */
  failRollout?: string[];
  /** `rollout status` in the key context only finishes once the value context has been called. */
  rolloutWaitsFor?: Record<string, string>;
  /** `get deployments` reports frontend 1/2 ready in these contexts. */
  notReady?: string[];
  /** Pass `kubectl kustomize` through to this real kubectl, to render the real overlays. */
  realKubectl?: string;
  /** `kubectl create` fails with an error quoting its stdin (the secret value). */
  createEchoesInput?: boolean;
  /** The tag suffix `get deployments` reports on the images (default abc1234). */
  tag?: string;
}

/** One recorded kubectl invocation. */
export interface KubectlCall {
  args: string[];
  stdin: string;
}
