#!/usr/bin/env bash
# The three regional clusters on AKS (acs-engine and aks-engine, the 2017 route in ../acs-engine,
# are archived). Run ../azure/create-backing-services.sh first: it creates the resource groups and
# the registry each cluster is attached to. Idempotent; DRY_RUN=1 prints every command and runs none.
# Each cluster's kube context is named <prefix>-<region>, as the rollout CLI expects.
set -euo pipefail
# shellcheck source=../lib/az.sh
source "${BASH_SOURCE[0]%/*}/../lib/az.sh"

# The 2017 clusters had two Standard_D2_v2 agents; D2s_v5 is the current general-purpose equivalent.
NODE_COUNT="${NODE_COUNT:-2}"
NODE_VM_SIZE="${NODE_VM_SIZE:-Standard_D2s_v5}"

require_match NODE_COUNT "$NODE_COUNT" '^[1-9][0-9]?$' 'must be a node count from 1 to 99'

for region in "${REGIONS[@]}"; do
  cluster="$PREFIX-$region"
  echo "# $region"
  # Azure CNI powered by Cilium enforces the NetworkPolicies in k8s/base (set at creation only);
  # --no-ssh-key: no node SSH.
  ensure az aks show --name "$cluster" --resource-group "$cluster" -- \
    az aks create --name "$cluster" --resource-group "$cluster" --location "$region" \
    --node-count "$NODE_COUNT" --node-vm-size "$NODE_VM_SIZE" \
    --network-plugin azure --network-plugin-mode overlay --network-dataplane cilium --network-policy cilium \
    --no-ssh-key
  # Grants the kubelet identity AcrPull on the registry, on every run: attaching needs the right to
  # assign roles, and a first run without it left a cluster that cannot pull, which a re-run repairs.
  run az aks update --name "$cluster" --resource-group "$cluster" --attach-acr "$ACR_NAME"
  run az aks get-credentials --name "$cluster" --resource-group "$cluster" --context "$cluster" --overwrite-existing
done
