#!/usr/bin/env bash
# The three regional clusters on AKS (acs-engine and aks-engine, the 2017 route in ../acs-engine,
# are archived). Run ../azure/create-backing-services.sh and ../azure/create-monitoring.sh first: they
# create the resource groups, the registry each cluster is attached to and the Azure Monitor workspace
# each cluster's managed Prometheus writes to. DRY_RUN=1 prints every command and runs none.
# Each cluster's kube context is named <prefix>-<region>, as the rollout CLI expects. A re-run creates
# a cluster for a region new to the list, and attaches the registry and enables managed Prometheus
# only where they are not yet.
set -euo pipefail
# shellcheck source=../lib/az.sh
source "${BASH_SOURCE[0]%/*}/../lib/az.sh"

# The 2017 clusters had two Standard_D2_v2 agents; D2s_v5 is the current general-purpose equivalent.
NODE_COUNT="${NODE_COUNT:-2}"
NODE_VM_SIZE="${NODE_VM_SIZE:-Standard_D2s_v5}"

require_match NODE_COUNT "$NODE_COUNT" '^[1-9][0-9]?$' 'must be a node count from 1 to 99'

# The registry's id, the scope of each cluster's AcrPull role assignment.
acr_id=""
if ! is_dry_run; then
  found az acr show --name "$ACR_NAME" --resource-group "$BACKING_RESOURCE_GROUP" --query id --output tsv ||
    { echo "registry $ACR_NAME not found in $BACKING_RESOURCE_GROUP: run deploy/azure/create-backing-services.sh first" >&2; exit 1; }
  acr_id="$FOUND"
fi
# The workspace's id, which managed Prometheus is linked to.
workspace_id="/subscriptions/<subscription id>/resourceGroups/$BACKING_RESOURCE_GROUP/providers/Microsoft.Monitor/accounts/$MONITOR_WORKSPACE"
if ! is_dry_run; then
  found az monitor account show --name "$MONITOR_WORKSPACE" --resource-group "$BACKING_RESOURCE_GROUP" --query id --output tsv ||
    { echo "Azure Monitor workspace $MONITOR_WORKSPACE not found in $BACKING_RESOURCE_GROUP: run deploy/azure/create-monitoring.sh first" >&2; exit 1; }
  workspace_id="$FOUND"
fi

for region in "${REGIONS[@]}"; do
  cluster="$PREFIX-$region"
  echo "# $region"
  # Azure CNI powered by Cilium enforces the NetworkPolicies in k8s/base (set at creation only);
  # --no-ssh-key: no node SSH. The show reads the kubelet identity, which pulls images, and whether
  # managed Prometheus is on (one line each).
  ensure az aks show --name "$cluster" --resource-group "$cluster" \
    --query '[identityProfile.kubeletidentity.objectId, azureMonitorProfile.metrics.enabled]' --output tsv -- \
    az aks create --name "$cluster" --resource-group "$cluster" --location "$region" \
    --node-count "$NODE_COUNT" --node-vm-size "$NODE_VM_SIZE" \
    --network-plugin azure --network-plugin-mode overlay --network-dataplane cilium --network-policy cilium \
    --no-ssh-key --output none
  { read -r kubelet; read -r metrics; } <<<"$FOUND" || true
  # AcrPull for the kubelet identity, only when it lacks it: attaching PUTs the whole cluster and role
  # assignments. Attaching needs the right to assign roles; a first run without it leaves a cluster
  # that cannot pull, and a re-run with it repairs that.
  granted=0
  if [[ -n "$kubelet" ]]; then
    found az role assignment list --scope "$acr_id" --role AcrPull --fill-principal-name false \
      --fill-role-definition-name false --query "length([?principalId=='$kubelet'])" --output tsv
    granted="$FOUND"
  fi
  if ((granted == 0)); then
    run az aks update --name "$cluster" --resource-group "$cluster" --attach-acr "$ACR_NAME" --output none
  fi
  # AKS managed Prometheus (the ama-metrics agent, which scrapes the PodMonitor of every overlay's
  # components/monitoring/aks and installs its CRD), linked to the one workspace where the rules run;
  # only when it is off: enabling creates the data collection endpoint, rule and association again
  # and PUTs the whole cluster.
  if [[ "${metrics,,}" != true ]]; then
    run az aks update --name "$cluster" --resource-group "$cluster" --enable-azure-monitor-metrics \
      --azure-monitor-workspace-resource-id "$workspace_id" --output none
  fi
  run az aks get-credentials --name "$cluster" --resource-group "$cluster" --context "$cluster" --overwrite-existing
done
