#!/usr/bin/env bash
# Monitoring, converged: one Azure Monitor workspace for every region's cluster (AKS managed
# Prometheus remote-writes there) and, on it, the Prometheus rule groups of deploy/monitoring/rules
# (Microsoft.AlertsManagement/prometheusRuleGroups), one per group of the rule files, from the JSON
# generated beside them (deploy/monitoring/azure/<group>.json); and, for when the workspace's region is
# lost, an outside-in probe of each region's /healthz: Application Insights standard availability
# tests, in the write region, with an alert each. A re-run writes nothing when nothing differs; a
# resource that differs from what this script sends is PUT again whole. deploy/monitoring/SLO.md says
# why the workspace is in the first read region and what still alerts when that region is lost.
# Run after create-backing-services.sh (its resource group holds these too).
# DRY_RUN=1 prints every command and runs none. Needs no secret and prints none.
set -euo pipefail
# shellcheck source=../lib/az.sh
source "${BASH_SOURCE[0]%/*}/../lib/az.sh"

# The first read region, not the Cosmos DB write region: a write-region loss, which has the most to
# alert on (no lease holder, write failover), leaves the rules running.
location="${REGIONS[1]:-${REGIONS[0]}}"
rules_dir="${BASH_SOURCE[0]%/*}/../monitoring/azure"
api_version=2023-03-01

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
  put_unless_same "$id" "$api_version" '' \
    "\"location\":\"$location\",\"properties\":{\"description\":\"deploy/monitoring/rules: $name\",\"scopes\":[\"$workspace_id\"],\"enabled\":true,\"interval\":\"PT1M\",\"rules\":$(<"$file")}"
done

# The probes live in the write region, not the workspace's: losing either region leaves the other's
# alerts running. Standard tests need a workspace-based Application Insights component.
probe_location="${REGIONS[0]}"
insights="/subscriptions/$subscription/resourceGroups/$BACKING_RESOURCE_GROUP/providers/Microsoft.Insights"
logs_id="/subscriptions/$subscription/resourceGroups/$BACKING_RESOURCE_GROUP/providers/Microsoft.OperationalInsights/workspaces/$PREFIX-probe-logs"
component_id="$insights/components/$PREFIX-probes"
echo "# availability tests of each region's /healthz, from Application Insights in $probe_location"
put_unless_same "$logs_id" 2023-09-01 '' \
  "\"location\":\"$probe_location\",\"properties\":{\"sku\":{\"name\":\"PerGB2018\"},\"retentionInDays\":30}"
put_unless_same "$component_id" 2020-02-02 '' \
  "\"location\":\"$probe_location\",\"kind\":\"web\",\"properties\":{\"Application_Type\":\"web\",\"WorkspaceResourceId\":\"$logs_id\"}"
# Five of Azure's test locations, one per continent the visitors come from and two more: Azure
# recommends five, and an alert when two fail, so one location's own trouble does not page.
test_locations='[{"Id":"us-ca-sjc-azr"},{"Id":"us-va-ash-azr"},{"Id":"emea-gb-db3-azr"},{"Id":"emea-nl-ams-azr"},{"Id":"apac-sg-sin-azr"}]'
for region in "${REGIONS[@]}"; do
  test_name="$PREFIX-healthz-$region"
  test_id="$insights/webtests/$test_name"
  # HTTPS on 443, as Traffic Manager probes it (create-backing-services.sh), the certificate not checked
  # (it names the custom domain, not the region's own name); every 300 s, the shortest.
  put_unless_same "$test_id" 2022-06-15 "\"hidden-link:$component_id\":\"Resource\"," \
    "\"location\":\"$probe_location\",\"kind\":\"standard\",\"properties\":{\"SyntheticMonitorId\":\"$test_name\",\"Name\":\"$region /healthz\",\"Enabled\":true,\"Frequency\":300,\"Timeout\":30,\"Kind\":\"standard\",\"RetryEnabled\":true,\"Locations\":$test_locations,\"Request\":{\"RequestUrl\":\"https://$DNS_LABEL_PREFIX-$region.$region.cloudapp.azure.com/healthz\",\"HttpVerb\":\"GET\",\"ParseDependentRequests\":false},\"ValidationRules\":{\"ExpectedHttpStatusCode\":200,\"SSLCheck\":false}}"
  put_unless_same "$insights/metricAlerts/$test_name" 2018-03-01 '' \
    "\"location\":\"global\",\"properties\":{\"description\":\"$region /healthz fails from 2 of 5 test locations (deploy/monitoring/SLO.md)\",\"severity\":1,\"enabled\":true,\"scopes\":[\"$test_id\",\"$component_id\"],\"evaluationFrequency\":\"PT1M\",\"windowSize\":\"PT5M\",\"criteria\":{\"odata.type\":\"Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria\",\"webTestId\":\"$test_id\",\"componentId\":\"$component_id\",\"failedLocationCount\":2},\"autoMitigate\":true}"
done
