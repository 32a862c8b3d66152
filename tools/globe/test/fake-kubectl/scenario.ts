/** What $FAKE_KUBECTL_SCENARIO tells the fake kubectl (test/fake-kubectl/kubectl); contexts by name. */
export interface Scenario {
  /** `kubectl config get-contexts -o name`; runGlobe's default: kubeonazure-<region> for every listed region. */
  contexts?: string[];
  /** `rollout status` in the key context only finishes once the value context has been called. */
  rolloutWaitsFor?: Record<string, string>;
  /** `kubectl apply` fails with an error quoting a Secret's value from its stdin. */
  applyEchoesInput?: boolean;
}

/** One recorded kubectl invocation. */
export interface KubectlCall {
  args: string[];
  stdin: string;
}
