# shellcheck shell=bash
# Sourced by the deploy scripts: the settings they share, and `run`/`ensure`, through which every
# Azure call goes, so DRY_RUN=1 prints exactly what would run, one pasteable line per command,
# and changes nothing.

# One argument as a shell word: bare when safe, quoted otherwise.
shell_word() {
  if [[ "$1" =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then printf '%s' "$1"; else printf '%s' "${1@Q}"; fi
}

shell_line() {
  local out=() arg
  for arg in "$@"; do out+=("$(shell_word "$arg")"); done
  printf '%s' "${out[*]}"
}

is_dry_run() { [[ "${DRY_RUN:-0}" == 1 ]]; }

# A request body that carries a secret (a database user's password): set STDIN_BODY (a plain shell
# variable, never exported, so no child's environment holds it) and pass `--body @/dev/stdin`; the
# next `run` or `ensure` feeds it to the command's stdin through a builtin, so it is in no argument,
# no printed line and no dry run. Cleared after use.
STDIN_BODY=""
with_body() {
  local body="$STDIN_BODY"
  STDIN_BODY=""
  if [[ -n "$body" ]]; then "$@" < <(printf '%s' "$body"); else "$@"; fi
}

# run COMMAND...: print it, then run it unless this is a dry run.
run() {
  printf '%s\n' "$(shell_line "$@")"
  if is_dry_run; then STDIN_BODY=""; return 0; fi
  with_body "$@"
}

# found SHOW...: runs SHOW, a read, and leaves its output in FOUND. Status 1 when Azure says the
# resource does not exist; any other failure (no permission, throttling, a network error, a typo)
# stops the script with SHOW's own error: it says nothing about existence, and creating then could
# overwrite a resource we merely could not read.
FOUND=""
found() {
  local status=0 error
  error="$(mktemp)"
  FOUND="$("$@" 2>"$error")" || status=$?
  if ((status == 0)); then rm -f "$error"; return 0; fi
  # ARM's codes for a missing resource, its group or its parent, as az prints them: "(Code) message".
  if grep -qE '\((ResourceNotFound|ResourceGroupNotFound|ParentResourceNotFound|NotFound)\)' "$error"; then
    rm -f "$error"
    return 1
  fi
  cat "$error" >&2
  rm -f "$error"
  echo "stopped: $(shell_line "$@") failed (exit $status), and not because the resource is missing" >&2
  exit "$status"
}

# ensure SHOW... -- CREATE...: create a resource only when SHOW finds that it does not exist, so a
# re-run over existing resources writes nothing (az group create, for one, PUTs again every time).
# SHOW's output is left in FOUND (pass --query/--output to read what the caller compares next;
# empty after CREATE).
ensure() {
  local show=()
  while [[ "$1" != -- ]]; do show+=("$1"); shift; done
  shift
  printf '%s || %s\n' "$(shell_line "${show[@]}")" "$(shell_line "$@")"
  FOUND=""
  if is_dry_run; then STDIN_BODY=""; return 0; fi
  if found "${show[@]}"; then STDIN_BODY=""; else with_body "$@"; fi
}

# put_unless_same ID API_VERSION TAGS FIELDS: PUTs the whole resource {"tags":{TAGS,<digest>},FIELDS}
# (TAGS: `"name":"value",` pairs or nothing; FIELDS: its other top-level fields) unless the one there
# carries, in its tag kubeonazure-sha256, the digest of the same TAGS and FIELDS. ARM adds defaults to
# what it returns, so what was sent is compared by its digest, not with what a show gives back; an
# edit in the portal that keeps the tag is not undone.
put_unless_same() {
  local id="$1" api_version="$2" tags="$3" fields="$4" digest
  digest="$(printf '%s%s' "$tags" "$fields" | sha256sum | cut -d' ' -f1)"
  FOUND=""
  is_dry_run || found az resource show --ids "$id" --api-version "$api_version" \
    --query 'tags."kubeonazure-sha256"' --output tsv || true
  if [[ "$FOUND" != "$digest" ]]; then
    run az resource create --id "$id" --api-version "$api_version" --is-full-object \
      --properties "{\"tags\":{$tags\"kubeonazure-sha256\":\"$digest\"},$fields}" --output none
  fi
}

# require_match NAME VALUE REGEX HINT: one line and exit 2 when a setting is malformed.
require_match() {
  if [[ ! "$2" =~ $3 ]]; then
    echo "$1 $4: $2" >&2
    exit 2
  fi
}

require_az() {
  is_dry_run && return 0
  command -v az >/dev/null || { echo "the Azure CLI (az) is not installed; set DRY_RUN=1 to print the commands" >&2; exit 1; }
}

# The regions of libs/regions/regions.json (the one region list; REGIONS_FILE points at another copy,
# as the tests do to add a region), the write region first: Cosmos DB
# failover priorities and the registry's home follow this order. Read with bash alone (the file
# gives each region's "name" before its "role", one per line; the deploy tests check the result).
# shellcheck disable=SC2034 # read by the scripts that source this file
REGIONS=()
while IFS= read -r line; do
  [[ "$line" =~ \"name\":\ \"([a-z0-9]+)\" ]] && region_name="${BASH_REMATCH[1]}"
  if [[ "$line" =~ \"role\":\ \"write\" ]]; then REGIONS=("$region_name" "${REGIONS[@]}"); fi
  if [[ "$line" =~ \"role\":\ \"read\" ]]; then REGIONS+=("$region_name"); fi
done < "${REGIONS_FILE:-${BASH_SOURCE[0]%/*}/../../libs/regions/regions.json}"
unset line region_name
# Names every Azure resource: <prefix>-backing, <prefix>-<region> (resource group, cluster, kube context).
PREFIX="${PREFIX:-kubeonazure}"
ACR_NAME="${ACR_NAME:-${PREFIX//-/}acr}"
# The shared services' resource group: the registry, Cosmos DB, Traffic Manager and the Azure Monitor workspace.
BACKING_RESOURCE_GROUP="${BACKING_RESOURCE_GROUP:-$PREFIX-backing}"
# The Azure Monitor workspace (create-monitoring.sh) every cluster's managed Prometheus writes to (create-clusters.sh).
MONITOR_WORKSPACE="${MONITOR_WORKSPACE:-$PREFIX-monitor}"
# Each region's name <label prefix>-<region>.<region>.cloudapp.azure.com (Traffic Manager's endpoints,
# the availability tests); must match the azure-dns-label-name annotation in deploy/k8s/base/frontend/service.yaml.
DNS_LABEL_PREFIX="${DNS_LABEL_PREFIX:-$PREFIX}"
require_match PREFIX "$PREFIX" '^[a-z][a-z0-9-]{1,20}$' 'must be 2-21 lowercase letters, digits or dashes'
require_match ACR_NAME "$ACR_NAME" '^[a-zA-Z0-9]{5,50}$' 'must be 5-50 letters or digits'
require_match MONITOR_WORKSPACE "$MONITOR_WORKSPACE" '^[a-zA-Z0-9][a-zA-Z0-9-]{2,42}$' 'must be 3-43 letters, digits or dashes'
# Azure takes registry names in any case but its login server (<name>.azurecr.io) is lower case:
# lower-cased here, once, for every script.
ACR_NAME="${ACR_NAME,,}"
require_az
