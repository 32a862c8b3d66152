#!/usr/bin/env bash
# The shared Azure services, idempotently: resource groups, the geo-replicated registry, the
# multi-region Cosmos DB (MongoDB API) account with its database, collection and indexes, and
# Traffic Manager in front of the three regional frontends. Safe to re-run.
# DRY_RUN=1 prints every command and runs none. Needs no secret and prints none.
set -euo pipefail
# shellcheck source=../lib/az.sh
source "${BASH_SOURCE[0]%/*}/../lib/az.sh"

BACKING_RESOURCE_GROUP="${BACKING_RESOURCE_GROUP:-$PREFIX-backing}"
COSMOS_ACCOUNT="${COSMOS_ACCOUNT:-$PREFIX-cosmos}"
TRAFFIC_MANAGER_PROFILE="${TRAFFIC_MANAGER_PROFILE:-$PREFIX}"
# Must match the azure-dns-label-name annotation in deploy/k8s/base/frontend/service.yaml.
DNS_LABEL_PREFIX="${DNS_LABEL_PREFIX:-$PREFIX}"

require_match COSMOS_ACCOUNT "$COSMOS_ACCOUNT" '^[a-z0-9][a-z0-9-]{1,42}$' 'must be 3-44 lowercase letters, digits or dashes'

home="${REGIONS[0]}"

echo "# resource groups: shared services, then one per regional cluster"
run az group create --name "$BACKING_RESOURCE_GROUP" --location "$home"
for region in "${REGIONS[@]}"; do
  run az group create --name "$PREFIX-$region" --location "$region"
done

echo "# container registry: Premium (needed for geo-replication), homed in $home, replicated to the others"
ensure az acr show --name "$ACR_NAME" --resource-group "$BACKING_RESOURCE_GROUP" -- \
  az acr create --name "$ACR_NAME" --resource-group "$BACKING_RESOURCE_GROUP" --location "$home" \
  --sku Premium --admin-enabled false
for region in "${REGIONS[@]:1}"; do
  ensure az acr replication show --registry "$ACR_NAME" --name "$region" -- \
    az acr replication create --registry "$ACR_NAME" --location "$region"
done

echo "# Cosmos DB for MongoDB: writes in $home, read replicas in the other regions, automatic failover"
locations=()
for priority in "${!REGIONS[@]}"; do
  locations+=(--locations "regionName=${REGIONS[$priority]}" "failoverPriority=$priority" isZoneRedundant=false)
done
# Server version 7.0: the MongoDB Node.js driver 7 needs at least 5.0 (wire version 13).
ensure az cosmosdb show --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" -- \
  az cosmosdb create --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" --kind MongoDB \
  --server-version 7.0 --default-consistency-level Session --enable-automatic-failover true "${locations[@]}"
ensure az cosmosdb mongodb database show --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --name kubeonazure -- \
  az cosmosdb mongodb database create --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --name kubeonazure
# Every sort needs an index on Cosmos DB. Index keys here carry no direction; Cosmos DB serves a sort
# in a compound index's order or its exact opposite, so this covers { created_at: -1, _id: -1 }
# and is the very index TweetRepository.ensureIndexes (libs/tweet-model) asks for.
ensure az cosmosdb mongodb collection show --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --database-name kubeonazure --name tweets -- \
  az cosmosdb mongodb collection create --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --database-name kubeonazure --name tweets --throughput 400 \
  --idx '[{"key":{"keys":["_id"]}},{"key":{"keys":["created_at","_id"]}}]'

echo "# Traffic Manager: latency routing to each region's frontend, health from its /healthz"
ensure az network traffic-manager profile show --name "$TRAFFIC_MANAGER_PROFILE" --resource-group "$BACKING_RESOURCE_GROUP" -- \
  az network traffic-manager profile create --name "$TRAFFIC_MANAGER_PROFILE" --resource-group "$BACKING_RESOURCE_GROUP" \
  --routing-method Performance --unique-dns-name "$TRAFFIC_MANAGER_PROFILE" --ttl 30 \
  --protocol HTTP --port 80 --path /healthz --interval 10 --timeout 5 --max-failures 3
for region in "${REGIONS[@]}"; do
  ensure az network traffic-manager endpoint show --name "$region" --profile-name "$TRAFFIC_MANAGER_PROFILE" \
    --resource-group "$BACKING_RESOURCE_GROUP" --type externalEndpoints -- \
    az network traffic-manager endpoint create --name "$region" --profile-name "$TRAFFIC_MANAGER_PROFILE" \
    --resource-group "$BACKING_RESOURCE_GROUP" --type externalEndpoints \
    --target "$DNS_LABEL_PREFIX-$region.$region.cloudapp.azure.com" --endpoint-location "$region" --endpoint-status Enabled
done
