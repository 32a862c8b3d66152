#!/usr/bin/env bash
# Monitoring, converged: one Azure Monitor workspace for every region's cluster (AKS managed
# Prometheus remote-writes there) and, on it, the Prometheus rule groups of deploy/monitoring/rules
# (Microsoft.AlertsManagement/prometheusRuleGroups), one per group of the rule files, from the JSON
# generated beside them (deploy/monitoring/azure/<group>.json). A re-run writes nothing when nothing
# differs; a rule group whose rules changed here is PUT again whole. deploy/monitoring/SLO.md says
# why the workspace is in the first read region and what still alerts when that region is lost.
# Run after create-backing-services.sh (its resource group holds these too).
# DRY_RUN=1 prints every command and runs none. Needs no secret and prints none.
set -euo pipefail
# shellcheck source=../lib/az.sh
source "${BASH_SOURCE[0]%/*}/../lib/az.sh"

MONITOR_WORKSPACE="${MONITOR_WORKSPACE:-$PREFIX-monitor}"
require_match MONITOR_WORKSPACE "$MONITOR_WORKSPACE" '^[a-zA-Z0-9][a-zA-Z0-9-]{2,42}$' 'must be 3-43 letters, digits or dashes'

# The first read region, not the Cosmos DB write region: a write-region loss, which has the most to
# alert on (no lease holder, write failover), leaves the rules running.
location="${REGIONS[1]:-${REGIONS[0]}}"
rules_dir="${BASH_SOURCE[0]%/*}/../monitoring/azure"
api_version=2023-03-01
# The rule group's tag holding the digest of what was PUT: ARM adds defaults to what it returns, so
# the rules are compared by the digest of what we send, not by what a show gives back.
digest_tag=kubeonazure-rules-sha256

echo "# Azure Monitor workspace $MONITOR_WORKSPACE in $location"
ensure az monitor account show --name "$MONITOR_WORKSPACE" --resource-group "$BACKING_RESOURCE_GROUP" --output none -- \
  az monitor account create --name "$MONITOR_WORKSPACE" --resource-group "$BACKING_RESOURCE_GROUP" \
  --location "$location" --output none

subscription='<subscription id>'
is_dry_run || subscription="$(az account show --query id --output tsv)"
workspace_id="/subscriptions/$subscription/resourceGroups/$BACKING_RESOURCE_GROUP/providers/Microsoft.Monitor/accounts/$MONITOR_WORKSPACE"

echo "# Prometheus rule groups on it, from deploy/monitoring/rules"
for file in "$rules_dir"/*.json; do
  name="$(basename "$file" .json)"
  id="/subscriptions/$subscription/resourceGroups/$BACKING_RESOURCE_GROUP/providers/Microsoft.AlertsManagement/prometheusRuleGroups/$name"
  # No clusterName: every cluster's series, told apart by their `region` label. PT1M is the shortest
  # interval Azure evaluates at.
  properties="{\"description\":\"deploy/monitoring/rules: $name\",\"scopes\":[\"$workspace_id\"],\"enabled\":true,\"interval\":\"PT1M\",\"rules\":$(<"$file")}"
  digest="$(printf '%s' "$properties" | sha256sum | cut -d' ' -f1)"
  body="{\"location\":\"$location\",\"tags\":{\"$digest_tag\":\"$digest\"},\"properties\":$properties}"
  FOUND=""
  is_dry_run || found az resource show --ids "$id" --api-version "$api_version" \
    --query "tags.\"$digest_tag\"" --output tsv || true
  if [[ "$FOUND" != "$digest" ]]; then
    run az resource create --id "$id" --api-version "$api_version" --is-full-object --properties "$body" --output none
  fi
done
