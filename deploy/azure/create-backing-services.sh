#!/usr/bin/env bash
# The shared Azure services, converged: resource groups, the geo-replicated registry, the
# multi-region Cosmos DB (MongoDB API) account with its database, collection and indexes, and
# Traffic Manager in front of the regional frontends. A re-run creates what is missing, adds a region
# new to the list (Cosmos DB location, resource group, replica, endpoint), re-applies drifted Traffic
# Manager settings, and writes nothing when nothing differs. It never reorders Cosmos DB failover
# priorities: after a failover the write region is state, not drift.
# DRY_RUN=1 prints every command and runs none. Needs no secret and prints none.
set -euo pipefail
# shellcheck source=../lib/az.sh
source "${BASH_SOURCE[0]%/*}/../lib/az.sh"

COSMOS_ACCOUNT="${COSMOS_ACCOUNT:-$PREFIX-cosmos}"
TRAFFIC_MANAGER_PROFILE="${TRAFFIC_MANAGER_PROFILE:-$PREFIX}"

require_match COSMOS_ACCOUNT "$COSMOS_ACCOUNT" '^[a-z0-9][a-z0-9-]{1,42}$' 'must be 3-44 lowercase letters, digits or dashes'

home="${REGIONS[0]}"

echo "# resource groups: shared services, then one per regional cluster"
ensure az group show --name "$BACKING_RESOURCE_GROUP" --output none -- \
  az group create --name "$BACKING_RESOURCE_GROUP" --location "$home" --output none
for region in "${REGIONS[@]}"; do
  ensure az group show --name "$PREFIX-$region" --output none -- \
    az group create --name "$PREFIX-$region" --location "$region" --output none
done

echo "# container registry: Premium (needed for geo-replication), homed in $home, replicated to the others"
ensure az acr show --name "$ACR_NAME" --resource-group "$BACKING_RESOURCE_GROUP" --output none -- \
  az acr create --name "$ACR_NAME" --resource-group "$BACKING_RESOURCE_GROUP" --location "$home" \
  --sku Premium --admin-enabled false --output none
# A replica missing from a region in the list (new, or deleted by hand) is created again.
for region in "${REGIONS[@]:1}"; do
  ensure az acr replication show --registry "$ACR_NAME" --resource-group "$BACKING_RESOURCE_GROUP" --name "$region" \
    --output none -- \
    az acr replication create --registry "$ACR_NAME" --resource-group "$BACKING_RESOURCE_GROUP" --location "$region" \
    --output none
done

echo "# Cosmos DB for MongoDB: writes in $home, read replicas in the other regions, automatic failover"
locations=()
for priority in "${!REGIONS[@]}"; do
  locations+=(--locations "regionName=${REGIONS[$priority]}" "failoverPriority=$priority" isZoneRedundant=false)
done
# Server version 7.0: the MongoDB Node.js driver 7 needs at least 5.0 (wire version 13).
# The show reads the account's locations by failover priority, as "<display name>\t<priority>\t<zone redundant>".
ensure az cosmosdb show --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --query 'sort_by(locations, &failoverPriority)[].[locationName, failoverPriority, isZoneRedundant]' --output tsv -- \
  az cosmosdb create --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" --kind MongoDB \
  --server-version 7.0 --default-consistency-level Session --enable-automatic-failover true "${locations[@]}" \
  --output none
# An existing account gains the regions it lacks, after the ones it has, with the next priorities.
# The ones it has are sent back as they are: after a failover the write region (priority 0) is
# another region than the list's first, and restoring the list's order would fail the account back.
# A region removed from the list is left in the account: removing one is a decision, not a re-run.
if [[ -n "$FOUND" ]]; then
  current=() next=0 missing=()
  declare -A present=()
  while IFS=$'\t' read -r name priority zone_redundant; do
    name="${name// /}" # "West US" -> westus
    present[${name,,}]=1
    current+=(--locations "regionName=${name,,}" "failoverPriority=$priority" "isZoneRedundant=$zone_redundant")
    next=$((priority + 1))
  done <<<"$FOUND"
  for region in "${REGIONS[@]}"; do
    [[ -v "present[$region]" ]] && continue
    missing+=(--locations "regionName=$region" "failoverPriority=$next" isZoneRedundant=false)
    next=$((next + 1))
  done
  if ((${#missing[@]} > 0)); then
    run az cosmosdb update --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
      "${current[@]}" "${missing[@]}" --output none
  fi
fi
ensure az cosmosdb mongodb database show --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --name kubeonazure --output none -- \
  az cosmosdb mongodb database create --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --name kubeonazure --output none
# Every sort needs an index on Cosmos DB. Index keys here carry no direction; Cosmos DB serves a sort
# in a compound index's order or its exact opposite, so this covers { created_at: -1, _id: -1 }
# and is the very index TweetRepository.ensureIndexes (libs/tweet-model) asks for.
ensure az cosmosdb mongodb collection show --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --database-name kubeonazure --name tweets --output none -- \
  az cosmosdb mongodb collection create --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --database-name kubeonazure --name tweets --throughput 400 \
  --idx '[{"key":{"keys":["_id"]}},{"key":{"keys":["created_at","_id"]}}]' --output none

echo "# Traffic Manager: latency routing to each region's frontend, health from its /healthz"
# The settings, once for creating and for comparing: DNS TTL, then the probe's protocol, port, path,
# interval, timeout and tolerated failures (visitors move within roughly 40-80 s of a region's loss).
# HTTP on 80 while the overlays serve plain HTTP. A region whose overlay lists k8s/components/tls
# answers plain HTTP with a redirect, which is no 200: once every overlay lists it, probe HTTPS on 443
# (Traffic Manager does not validate the certificate, issued for the custom domain, not the region's FQDN).
ttl=30 protocol=HTTP port=80 path=/healthz interval=10 timeout=5 failures=3
# As the show below prints them: one per line, routing method first.
want="$(printf '%s\n' Performance "$ttl" "$protocol" "$port" "$path" "$interval" "$timeout" "$failures")"
ensure az network traffic-manager profile show --name "$TRAFFIC_MANAGER_PROFILE" --resource-group "$BACKING_RESOURCE_GROUP" \
  --query '[trafficRoutingMethod, dnsConfig.ttl, monitorConfig.protocol, monitorConfig.port, monitorConfig.path, monitorConfig.intervalInSeconds, monitorConfig.timeoutInSeconds, monitorConfig.toleratedNumberOfFailures]' \
  --output tsv -- \
  az network traffic-manager profile create --name "$TRAFFIC_MANAGER_PROFILE" --resource-group "$BACKING_RESOURCE_GROUP" \
  --routing-method Performance --unique-dns-name "$TRAFFIC_MANAGER_PROFILE" --ttl "$ttl" \
  --protocol "$protocol" --port "$port" --path "$path" --interval "$interval" --timeout "$timeout" \
  --max-failures "$failures" --output none
# An existing profile whose settings drifted (or changed here) is updated; an equal one is left alone.
if [[ -n "$FOUND" && "$FOUND" != "$want" ]]; then
  run az network traffic-manager profile update --name "$TRAFFIC_MANAGER_PROFILE" --resource-group "$BACKING_RESOURCE_GROUP" \
    --routing-method Performance --ttl "$ttl" --protocol "$protocol" --port "$port" --path "$path" \
    --interval "$interval" --timeout "$timeout" --max-failures "$failures" --output none
fi
for region in "${REGIONS[@]}"; do
  ensure az network traffic-manager endpoint show --name "$region" --profile-name "$TRAFFIC_MANAGER_PROFILE" \
    --resource-group "$BACKING_RESOURCE_GROUP" --type externalEndpoints --output none -- \
    az network traffic-manager endpoint create --name "$region" --profile-name "$TRAFFIC_MANAGER_PROFILE" \
    --resource-group "$BACKING_RESOURCE_GROUP" --type externalEndpoints \
    --target "$DNS_LABEL_PREFIX-$region.$region.cloudapp.azure.com" --endpoint-location "$region" --endpoint-status Enabled \
    --output none
done
