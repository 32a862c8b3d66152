/** What $FAKE_KUBECTL_SCENARIO tells the fake kubectl (test/fake-kubectl/kubectl); contexts by name. */
export interface Scenario {
  /** `kubectl config get-contexts -o name`; default the three kubeonazure-<region> contexts. */
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
