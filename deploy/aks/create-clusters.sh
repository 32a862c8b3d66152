#!/usr/bin/env bash
# The three regional clusters on AKS (acs-engine and aks-engine, the 2017 route in ../acs-engine,
# are archived). Run ../azure/create-backing-services.sh and ../azure/create-monitoring.sh first: they
# create the resource groups, the registry each cluster is attached to and the Azure Monitor workspace
# each cluster's managed Prometheus writes to. DRY_RUN=1 prints every command and runs none.
# Each cluster's kube context is named <prefix>-<region>, as the rollout CLI expects. A re-run creates
# a cluster for a region new to the list, and attaches the registry and enables managed Prometheus
# only where they are not yet.
# Every cluster signs in with Microsoft Entra ID only (no local accounts; AKS_ADMIN_GROUP_ID's members
# are cluster admins), answers its API only from API_SERVER_AUTHORIZED_IP_RANGES, and sends its
# outbound traffic from its region's public IP prefix, the addresses Cosmos DB admits. A re-run brings
# an existing cluster to those settings when it differs.
set -euo pipefail
# shellcheck source=../lib/az.sh
source "${BASH_SOURCE[0]%/*}/../lib/az.sh"

# The 2017 clusters had two Standard_D2_v2 agents; D2s_v5 is the current general-purpose equivalent.
NODE_COUNT="${NODE_COUNT:-2}"
NODE_VM_SIZE="${NODE_VM_SIZE:-Standard_D2s_v5}"

require_match NODE_COUNT "$NODE_COUNT" '^[1-9][0-9]?$' 'must be a node count from 1 to 99'
# The Entra ID group whose members administer the clusters (object id), and the addresses (comma-
# separated CIDRs: your operators', your CI's, Argo CD's egress) allowed to reach the API servers;
# AKS takes public addresses only.
# Placeholders in a dry run when unset.
AKS_ADMIN_GROUP_ID="${AKS_ADMIN_GROUP_ID:-}"
API_SERVER_AUTHORIZED_IP_RANGES="${API_SERVER_AUTHORIZED_IP_RANGES:-}"
if is_dry_run; then
  AKS_ADMIN_GROUP_ID="${AKS_ADMIN_GROUP_ID:-<AKS_ADMIN_GROUP_ID>}"
  API_SERVER_AUTHORIZED_IP_RANGES="${API_SERVER_AUTHORIZED_IP_RANGES:-<API_SERVER_AUTHORIZED_IP_RANGES>}"
else
  require_match AKS_ADMIN_GROUP_ID "$AKS_ADMIN_GROUP_ID" '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' \
    'must be the object id of an Entra ID group'
  require_match API_SERVER_AUTHORIZED_IP_RANGES "$API_SERVER_AUTHORIZED_IP_RANGES" \
    '^[0-9]{1,3}(\.[0-9]{1,3}){3}(/[0-9]{1,2})?(,[0-9]{1,3}(\.[0-9]{1,3}){3}(/[0-9]{1,2})?)*$' \
    'must be comma-separated IPv4 addresses or CIDRs'
fi

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
  # The region's egress prefix (create-backing-services.sh made it): the cluster's outbound addresses.
  egress="<$region egress prefix id>"
  if ! is_dry_run; then
    found az network public-ip prefix show --name "$PREFIX-$region-egress" --resource-group "$cluster" \
      --query id --output tsv ||
      { echo "public IP prefix $PREFIX-$region-egress not found: run deploy/azure/create-backing-services.sh first" >&2; exit 1; }
    egress="$FOUND"
  fi
  # Azure CNI powered by Cilium enforces the NetworkPolicies in k8s/base (set at creation only);
  # --no-ssh-key: no node SSH. The show reads the kubelet identity, which pulls images, then what a
  # re-run compares: managed Entra ID, local accounts off, the admin groups, the authorized ranges, the
  # outbound prefix and managed Prometheus, as
  # "<kubelet>\t<managed>\t<local off>\t<groups>\t<ranges>\t<prefix id>\t<metrics on>".
  ensure az aks show --name "$cluster" --resource-group "$cluster" \
    --query '[[identityProfile.kubeletidentity.objectId, aadProfile.managed, disableLocalAccounts, join(`,`, aadProfile.adminGroupObjectIDs || `[]`), join(`,`, apiServerAccessProfile.authorizedIpRanges || `[]`), networkProfile.loadBalancerProfile.outboundIpPrefixes.publicIpPrefixes[0].id, azureMonitorProfile.metrics.enabled]]' \
    --output tsv -- \
    az aks create --name "$cluster" --resource-group "$cluster" --location "$region" \
    --node-count "$NODE_COUNT" --node-vm-size "$NODE_VM_SIZE" \
    --network-plugin azure --network-plugin-mode overlay --network-dataplane cilium --network-policy cilium \
    --enable-aad --aad-admin-group-object-ids "$AKS_ADMIN_GROUP_ID" --disable-local-accounts \
    --api-server-authorized-ip-ranges "$API_SERVER_AUTHORIZED_IP_RANGES" \
    --load-balancer-outbound-ip-prefixes "$egress" \
    --no-ssh-key --output none
  kubelet="" metrics=""
  if [[ -n "$FOUND" ]]; then
    # One row (a list in a list: tsv prints a flat list one value per line), its tabs made a non-blank
    # separator first: read would merge the tabs around an empty field.
    IFS=$'\x1f' read -r kubelet aad_managed local_accounts_off admin_groups ip_ranges outbound_prefix metrics <<<"${FOUND//$'\t'/$'\x1f'}"
    changes=()
    if [[ "${aad_managed,,}" != true ]]; then
      changes+=(--enable-aad --aad-admin-group-object-ids "$AKS_ADMIN_GROUP_ID")
    elif [[ "$admin_groups" != "$AKS_ADMIN_GROUP_ID" ]]; then
      changes+=(--aad-admin-group-object-ids "$AKS_ADMIN_GROUP_ID")
    fi
    [[ "${local_accounts_off,,}" == true ]] || changes+=(--disable-local-accounts)
    [[ "$ip_ranges" == "$API_SERVER_AUTHORIZED_IP_RANGES" ]] ||
      changes+=(--api-server-authorized-ip-ranges "$API_SERVER_AUTHORIZED_IP_RANGES")
    [[ "${outbound_prefix,,}" == "${egress,,}" ]] || changes+=(--load-balancer-outbound-ip-prefixes "$egress")
    if ((${#changes[@]} > 0)); then
      run az aks update --name "$cluster" --resource-group "$cluster" "${changes[@]}" --output none
    fi
  fi
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
  # With Entra ID the context runs kubelogin (deploy/README.md, step 3); there is no admin credential.
  run az aks get-credentials --name "$cluster" --resource-group "$cluster" --context "$cluster" --overwrite-existing
done
