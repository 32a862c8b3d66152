#!/usr/bin/env bash
# The shared Azure services, converged: resource groups, the geo-replicated registry, the
# multi-region Cosmos DB (MongoDB API) account with its database, collection and indexes, and
# Traffic Manager in front of the regional frontends. A re-run creates what is missing, adds a region
# new to the list (Cosmos DB location, resource group, replica, endpoint), re-applies drifted Traffic
# Manager settings, and writes nothing when nothing differs. It never reorders Cosmos DB failover
# priorities: after a failover the write region is state, not drift.
# The account admits only the clusters' egress addresses (a public IP prefix per region, which
# aks/create-clusters.sh gives each cluster's outbound traffic) and only its database users: role-based
# users for the apps (a read-only frontend, a streamer that may insert tweets and write the lease),
# no account keys (local auth off, the keys handed out before regenerated once), and no key-based
# metadata writes (databases, collections and indexes come from here, through Azure Resource Manager).
# DRY_RUN=1 prints every command and runs none. The users' passwords come from the environment
# (COSMOS_<USER>_PASSWORD) and reach az on stdin only: no argument, log line or dry run shows them.
set -euo pipefail
# shellcheck source=../lib/az.sh
source "${BASH_SOURCE[0]%/*}/../lib/az.sh"

COSMOS_ACCOUNT="${COSMOS_ACCOUNT:-$PREFIX-cosmos}"
TRAFFIC_MANAGER_PROFILE="${TRAFFIC_MANAGER_PROFILE:-$PREFIX}"

require_match COSMOS_ACCOUNT "$COSMOS_ACCOUNT" '^[a-z0-9][a-z0-9-]{1,42}$' 'must be 3-44 lowercase letters, digits or dashes'

# The apps' database roles and the tweets indexes, one copy each, in Cosmos DB's formats
# (libs/tweet-model/cosmos): role <name> is held by user <name>, whose password is COSMOS_<NAME>_PASSWORD.
COSMOS_DEFINITIONS="${BASH_SOURCE[0]%/*}/../../libs/tweet-model/cosmos"
DATABASE_USERS=()
for role_file in "$COSMOS_DEFINITIONS"/roles/*.json; do
  user="${role_file##*/}"
  DATABASE_USERS+=("${user%.json}")
done
if ! is_dry_run; then
  for user in "${DATABASE_USERS[@]}"; do
    password_variable="COSMOS_${user^^}_PASSWORD"
    # Never echoed: the message names the variable only. Base64 and URL-safe characters, so the body
    # needs no JSON escaping; `openssl rand -base64 32` makes one.
    if [[ ! "${!password_variable:-}" =~ ^[A-Za-z0-9_~.+/=-]{24,128}$ ]]; then
      echo "$password_variable must be set to 24-128 letters, digits or _~.+/=- (e.g. openssl rand -base64 32)" >&2
      exit 2
    fi
  done
fi
# KEEP_ACCOUNT_KEYS=1 leaves local auth on for one run: moving a running system, hand out the users'
# credentials (globe secrets) and roll out first, then run again without it to disable the keys.
KEEP_ACCOUNT_KEYS="${KEEP_ACCOUNT_KEYS:-0}"
require_match KEEP_ACCOUNT_KEYS "$KEEP_ACCOUNT_KEYS" '^[01]$' 'must be 0 or 1'

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

echo "# egress addresses: one public IP prefix per region, its cluster's outbound addresses (aks/create-clusters.sh)"
# Known before any cluster exists, so the database's firewall admits exactly them from the start.
egress_ranges=()
for region in "${REGIONS[@]}"; do
  ensure az network public-ip prefix show --name "$PREFIX-$region-egress" --resource-group "$PREFIX-$region" \
    --query ipPrefix --output tsv -- \
    az network public-ip prefix create --name "$PREFIX-$region-egress" --resource-group "$PREFIX-$region" \
    --location "$region" --length 31 --output none
  if [[ -z "$FOUND" ]] && ! is_dry_run; then
    found az network public-ip prefix show --name "$PREFIX-$region-egress" --resource-group "$PREFIX-$region" \
      --query ipPrefix --output tsv
  fi
  egress_ranges+=("${FOUND:-<$region egress prefix>}")
done
ip_ranges="$(IFS=,; printf '%s' "${egress_ranges[*]}")"

echo "# Cosmos DB for MongoDB: writes in $home, read replicas in the other regions, automatic failover"
locations=()
for priority in "${!REGIONS[@]}"; do
  locations+=(--locations "regionName=${REGIONS[$priority]}" "failoverPriority=$priority" isZoneRedundant=false)
done
# Server version 7.0: the MongoDB Node.js driver 7 needs at least 5.0 (wire version 13). Role-based
# users (EnableMongoRoleBasedAccessControl), no key-based metadata writes, the clusters' egress
# addresses only, and (unless KEEP_ACCOUNT_KEYS=1) no keys at all: a new account never hands one out.
local_auth_off=true
((KEEP_ACCOUNT_KEYS == 1)) && local_auth_off=false
# The show reads the account's locations by failover priority, as "<display name>\t<priority>\t<zone redundant>".
ensure az cosmosdb show --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --query 'sort_by(locations, &failoverPriority)[].[locationName, failoverPriority, isZoneRedundant]' --output tsv -- \
  az cosmosdb create --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" --kind MongoDB \
  --server-version 7.0 --default-consistency-level Session --enable-automatic-failover true "${locations[@]}" \
  --capabilities EnableMongoRoleBasedAccessControl --disable-key-based-metadata-write-access true \
  --ip-range-filter "$ip_ranges" --disable-local-auth "$local_auth_off" --output none
# An existing account gains the regions it lacks, after the ones it has, with the next priorities.
# The ones it has are sent back as they are: after a failover the write region (priority 0) is
# another region than the list's first, and restoring the list's order would fail the account back.
# A region removed from the list is left in the account: removing one is a decision, not a re-run.
account_existed=0
if [[ -n "$FOUND" ]]; then
  account_existed=1
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
# An account made before (with keys, open to the internet, without role-based users) is brought to
# the same settings, each only when it differs.
local_auth_was_off=$local_auth_off
if ((account_existed == 1)); then
  found az cosmosdb show --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
    --query '[[join(`,`, capabilities[].name), disableKeyBasedMetadataWriteAccess, disableLocalAuth, join(`,`, ipRules[].ipAddressOrRange)]]' \
    --output tsv
  # One row (a list in a list: tsv prints a flat list one value per line), its tabs made a non-blank
  # separator first: read would merge the tabs around an empty field.
  IFS=$'\x1f' read -r capabilities metadata_writes_off local_auth_was_off ip_rules <<<"${FOUND//$'\t'/$'\x1f'}"
  local_auth_was_off="${local_auth_was_off,,}"
  if [[ ",$capabilities," != *,EnableMongoRoleBasedAccessControl,* ]]; then
    # The account's capabilities are sent whole, so the ones it has stay.
    IFS=, read -r -a capability_list <<<"$capabilities"
    run az cosmosdb update --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
      --capabilities "${capability_list[@]}" EnableMongoRoleBasedAccessControl --output none
  fi
  if [[ "${metadata_writes_off,,}" != true || "$ip_rules" != "$ip_ranges" ]]; then
    run az cosmosdb update --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
      --disable-key-based-metadata-write-access true --ip-range-filter "$ip_ranges" --output none
  fi
fi
ensure az cosmosdb mongodb database show --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --name kubeonazure --output none -- \
  az cosmosdb mongodb database create --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --name kubeonazure --output none
# Every sort needs an index on Cosmos DB, created here (the apps' users may not; key-based metadata
# writes are off): the file TweetRepository.ensureIndexes (libs/tweet-model) reads too.
ensure az cosmosdb mongodb collection show --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --database-name kubeonazure --name tweets --output none -- \
  az cosmosdb mongodb collection create --account-name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
  --database-name kubeonazure --name tweets --throughput 400 \
  --idx "@$COSMOS_DEFINITIONS/tweets-indexes.json" --output none

# A role file's privileges as the role definition show below prints them: one line per privilege,
# "<db><tab><collection><tab><actions, sorted, comma-joined>", the lines sorted. Read with bash alone:
# the files are ours, in one shape (each privilege's Resource, Db then Collection, then its Actions;
# the deploy tests check it).
role_privileges() {
  local rest actions privileges=()
  local privilege='\{"Resource":\{"Db":"([^"]*)","Collection":"([^"]*)"\},"Actions":\[([^]]*)\]\}(.*)'
  rest="$(tr -d ' \n\t' <"$1")"
  while [[ "$rest" =~ $privilege ]]; do
    rest="${BASH_REMATCH[4]}"
    actions="$(tr -d '"' <<<"${BASH_REMATCH[3]}" | tr , '\n' | LC_ALL=C sort | paste -sd ,)"
    privileges+=("${BASH_REMATCH[1]}"$'\t'"${BASH_REMATCH[2]}"$'\t'"$actions")
  done
  printf '%s\n' "${privileges[@]}" | LC_ALL=C sort
}

echo "# database users: one per app, holding the role of its name (libs/tweet-model/cosmos/roles)"
for user in "${DATABASE_USERS[@]}"; do
  role_file="$COSMOS_DEFINITIONS/roles/$user.json"
  ensure az cosmosdb mongodb role definition show --account-name "$COSMOS_ACCOUNT" \
    --resource-group "$BACKING_RESOURCE_GROUP" --id "kubeonazure.$user" \
    --query 'privileges[].[resource.db, resource.collection, join(`,`, sort(actions))]' --output tsv -- \
    az cosmosdb mongodb role definition create --account-name "$COSMOS_ACCOUNT" \
    --resource-group "$BACKING_RESOURCE_GROUP" --body "@$role_file" --output none
  # A role whose file changed since (or that was edited by hand) is updated to what the file says; an
  # equal one is left alone. The users holding it keep it, with its new privileges.
  if [[ -n "$FOUND" && "$(LC_ALL=C sort <<<"$FOUND")" != "$(role_privileges "$role_file")" ]]; then
    run az cosmosdb mongodb role definition update --account-name "$COSMOS_ACCOUNT" \
      --resource-group "$BACKING_RESOURCE_GROUP" --body "@$role_file" --output none
  fi
  password_variable="COSMOS_${user^^}_PASSWORD"
  printf -v STDIN_BODY \
    '{"Id":"kubeonazure.%s","UserName":"%s","Password":"%s","DatabaseName":"kubeonazure","CustomData":"","Mechanisms":"SCRAM-SHA-256","Roles":[{"Role":"%s","Db":"kubeonazure"}]}' \
    "$user" "$user" "${!password_variable:-}" "$user"
  ensure az cosmosdb mongodb user definition show --account-name "$COSMOS_ACCOUNT" \
    --resource-group "$BACKING_RESOURCE_GROUP" --id "kubeonazure.$user" --output none -- \
    az cosmosdb mongodb user definition create --account-name "$COSMOS_ACCOUNT" \
    --resource-group "$BACKING_RESOURCE_GROUP" --body @/dev/stdin --output none
done

# Keys off once the users exist; the keys handed out before are regenerated in that same run (a
# key copied somewhere must not work again should local auth ever be turned back on). Later runs
# find local auth off and write nothing.
if [[ "$local_auth_off" == true && "$local_auth_was_off" != true ]]; then
  echo "# account keys: local auth off, every key regenerated"
  run az cosmosdb update --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
    --disable-local-auth true --output none
  for kind in primary secondary primaryReadonly secondaryReadonly; do
    run az cosmosdb keys regenerate --name "$COSMOS_ACCOUNT" --resource-group "$BACKING_RESOURCE_GROUP" \
      --key-kind "$kind" --output none
  done
fi

echo "# Traffic Manager: latency routing to each region's frontend, health from its /healthz"
# The settings, once for creating and for comparing: DNS TTL, then the probe's protocol, port, path,
# interval, timeout and tolerated failures (visitors move within roughly 40-80 s of a region's loss).
# HTTPS on 443: every overlay lists k8s/components/tls, whose plain HTTP only redirects (no 200).
# Traffic Manager does not validate the certificate (issued for the custom domain, not the region's
# FQDN, which the probe sends as Host), and the frontend answers /healthz whatever the Host.
ttl=30 protocol=HTTPS port=443 path=/healthz interval=10 timeout=5 failures=3
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
