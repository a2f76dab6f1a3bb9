#!/bin/sh
# Latchkey membership automation for a StatefulSet, driven through the membership API
# (GET /v1/cluster, /v1/cluster/members) with curl and jq from the Latchkey image; with client
# authentication on, as an admin (MEMBERSHIP_TOKEN_FILE), and over TLS when the client port has
# it (MEMBERSHIP_CLIENT_SCHEME=https, MEMBERSHIP_CA_FILE).
#
#   join          init container: before the node starts, decide restart, bootstrap or join, and
#                 write the decision to $MEMBERSHIP_NODE_ENV, which the node's container sources
#                 before starting Java. Joining adds this pod as a learner and hands the node the
#                 member id and cluster id the API returned (LATCHKEY_NODE_ID, LATCHKEY_CLUSTER_ID):
#                 a node in StatefulSet mode with a node id joins instead of bootstrapping.
#                 The order is: add learner -> start -> promote.
#   promote-loop  sidecar: promotes this pod's learner once the leader accepts it (caught up).
#   scale-down    Helm pre-upgrade hook or by hand: removes the members whose ordinal is
#                 >= MEMBERSHIP_TARGET_REPLICAS, highest first, one at a time, before their pods go.
#
# A pod's member is found by its peer URL, fixed by the pod's stable network identity, while its
# member id changes whenever it rejoins with an empty volume. Ids are hex strings, as the API
# prints them. Changes go to the leader's client URL; a member that lost leadership since answers
# 307 to the new leader, which curl follows (-L) with the same method and body.
# POSIX sh plus `local`, which dash (the image's /bin/sh) and busybox support.
set -eu

log() { echo "membership: $*" >&2; }
die() { log "$*"; exit 1; }
# printf, not echo: dash's echo expands backslash escapes, which JSON strings may hold.
json() { printf '%s\n' "$1"; }

pod_host() {
  echo "$MEMBERSHIP_STATEFULSET-$1.$LATCHKEY_K8S_SERVICE_NAME.$LATCHKEY_K8S_NAMESPACE.svc.$LATCHKEY_K8S_CLUSTER_DOMAIN"
}
# The URLs a node advertises in StatefulSet mode (the defaults of latchkey.peer-url and
# latchkey.client-url); members are matched by them, so they must be the same strings.
peer_url() {
  if [ "${LATCHKEY_PEER_TLS_ENABLED:-false}" = true ]; then
    echo "https://$(pod_host "$1"):$LATCHKEY_PEER_PORT"
  else
    echo "http://$(pod_host "$1"):$LATCHKEY_PEER_PORT"
  fi
}
client_url() { echo "${MEMBERSHIP_CLIENT_SCHEME:-http}://$(pod_host "$1"):$SERVER_PORT"; }

# curl as every call to a node needs it: trusting the client port's CA under TLS
# (MEMBERSHIP_CA_FILE) and, with client authentication on, with the admin token of
# MEMBERSHIP_TOKEN_FILE. The file is read on every call, so a renewed token is picked up; the
# header goes through curl's --config on stdin, so the token never shows in a process list.
node_curl() {
  if [ -n "${MEMBERSHIP_TOKEN_FILE:-}" ]; then
    printf 'header = "Authorization: Bearer %s"\n' "$(cat "$MEMBERSHIP_TOKEN_FILE")" |
      curl ${MEMBERSHIP_CA_FILE:+--cacert "$MEMBERSHIP_CA_FILE"} --config - "$@"
  else
    curl ${MEMBERSHIP_CA_FILE:+--cacert "$MEMBERSHIP_CA_FILE"} "$@"
  fi
}

# Any started member can describe the cluster; the client Service reaches a ready one, and the
# headless names reach members that are not ready (for example while no leader is known).
fetch_cluster() {
  local candidate=0 candidates base
  candidates="${MEMBERSHIP_CLIENT_SCHEME:-http}://$MEMBERSHIP_CLIENT_SERVICE:$SERVER_PORT"
  while [ "$candidate" -lt "$1" ]; do
    candidates="$candidates $(client_url "$candidate")"
    candidate=$((candidate + 1))
  done
  for base in $candidates; do
    if node_curl -fsS --max-time 3 "$base/v1/cluster" 2>/dev/null; then
      return 0
    fi
  done
  return 1
}

leader_url() { jq -r '.leaderId as $leader | .members[] | select(.id == $leader) | .clientUrl'; }

member_by_peer_url() {
  jq -c --arg peer "$1" '.members[] | select(.peerUrl == $peer)'
}

# api METHOD URL [BODY]: sets $status (000 when nothing answered) and $body. Errors come as
# application/problem+json, whose detail says why.
api() {
  local answer
  # --location-trusted: the token goes on to the leader a member redirects to (curl drops an
  # Authorization header on a redirect to another host otherwise).
  answer=$(node_curl -sS -L --location-trusted --max-redirs 3 --max-time 20 -X "$1" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} -w '\n%{http_code}' "$2" 2>/dev/null) || true
  status=$(json "$answer" | tail -n 1)
  body=$(json "$answer" | sed '$d')
}
problem() {
  if [ "$status" = 000 ]; then
    echo "no answer"
  else
    echo "HTTP $status $(json "$body" | jq -r '.detail // empty' 2>/dev/null || true)"
  fi
}

# Removing a voter shrinks the quorum; refuse unless a majority of the voters that remain answer
# /health/ready (leader known, caught up), so that the cluster keeps committing while the pod
# goes. The leader makes its own check (recently active voters) and answers 409 if it fails.
remove_member() {
  local cluster=$1 id=$2 leader=$3 ready voters url attempts
  if [ "$(json "$cluster" | jq -r --arg id "$id" '.members[] | select(.id == $id) | .role')" = voter ]; then
    ready=0
    voters=0
    for url in $(json "$cluster" | jq -r --arg id "$id" \
        '.members[] | select(.id != $id and .role == "voter") | .clientUrl'); do
      voters=$((voters + 1))
      if node_curl -fsS --max-time 3 -o /dev/null "$url/health/ready" 2>/dev/null; then
        ready=$((ready + 1))
      fi
    done
    [ "$ready" -ge $((voters / 2 + 1)) ] ||
      die "refusing to remove voter $id: only $ready of the $voters remaining voters are ready"
  fi
  log "removing member $id"
  api DELETE "$leader/v1/cluster/members/$id"
  # 404: an earlier attempt's removal went through although its answer was lost.
  [ "$status" = 204 ] || [ "$status" = 404 ] || die "cannot remove member $id: $(problem)"
  # The next change (a removal or this pod's re-add) must see the removal applied.
  attempts=0
  until fetch_cluster 0 | jq -e --arg id "$id" 'all(.members[]; .id != $id)' >/dev/null; do
    attempts=$((attempts + 1))
    [ "$attempts" -lt 60 ] || die "member $id is still listed 120 s after its removal"
    sleep 2
  done
}

# The node's container sources this file (with `set -a`) right before it starts Java.
write_node_env() {
  printf '%s\n' "$@" >"$MEMBERSHIP_NODE_ENV"
}

join() {
  local ordinal me probe identity node_id cluster_id running cluster leader existing request
  ordinal=${LATCHKEY_K8S_POD_NAME##*-}
  me=$(peer_url "$ordinal")
  probe=$((ordinal > LATCHKEY_K8S_REPLICAS ? ordinal : LATCHKEY_K8S_REPLICAS))
  cluster=$(fetch_cluster "$probe") || cluster=""
  leader=""
  [ -z "$cluster" ] || leader=$(json "$cluster" | leader_url)

  # The node writes its identity file on first start, before it takes part in the cluster:
  # with it, the node restarts as the member it names and ignores LATCHKEY_NODE_ID.
  identity="$LATCHKEY_DATA_DIR/node.identity"
  if [ -f "$identity" ]; then
    node_id=$(sed -n 's/^node-id=//p' "$identity")
    cluster_id=$(sed -n 's/^cluster-id=//p' "$identity")
    if [ -n "$leader" ]; then
      # A volume left behind by a removed member (or another cluster) would restart a node
      # the cluster does not know.
      running=$(json "$cluster" | jq -r '.clusterId')
      [ "$running" = "$cluster_id" ] ||
        die "$identity belongs to cluster $cluster_id, not to $running: delete this pod's PVCs, then the pod"
      json "$cluster" | jq -e --arg id "$node_id" 'any(.members[]; .id == $id)' >/dev/null ||
        die "$identity belongs to member $node_id, which was removed: delete this pod's PVCs, then the pod"
    fi
    log "restarting as member $node_id"
    write_node_env "# restart: member $node_id of cluster $cluster_id ($identity)"
    return 0
  fi
  if [ -z "$leader" ]; then
    # With no leader anywhere this is the first start of the cluster (or a majority is lost,
    # which no script can repair). Only the initial members may bootstrap.
    [ "$ordinal" -lt "$LATCHKEY_K8S_REPLICAS" ] ||
      die "no leader answers; member $ordinal is not an initial member and must join: will retry"
    log "no leader answers: bootstrapping as initial member $ordinal of $LATCHKEY_K8S_REPLICAS"
    write_node_env "# bootstrap: initial member $ordinal of $LATCHKEY_K8S_REPLICAS"
    return 0
  fi

  existing=$(json "$cluster" | member_by_peer_url "$me")
  if [ -n "$existing" ]; then
    if [ "$(json "$existing" | jq -r '.role')" = learner ]; then
      # Added by an earlier attempt whose node never wrote node.identity (the pod went away
      # first). A learner does not vote, so nothing it acknowledged counts toward a commit:
      # this pod can take it over as it is.
      node_id=$(json "$existing" | jq -r '.id')
      log "taking over learner $node_id"
      write_node_env "LATCHKEY_NODE_ID=$node_id" "LATCHKEY_CLUSTER_ID=$(json "$cluster" | jq -r '.clusterId')"
      return 0
    fi
    # An empty volume has lost whatever this member voted and acknowledged, so it must not come
    # back under its old id: remove it and rejoin under a new one.
    remove_member "$cluster" "$(json "$existing" | jq -r '.id')" "$leader"
  fi
  request=$(jq -nc --arg name "$LATCHKEY_K8S_POD_NAME" --arg peer "$me" --arg client "$(client_url "$ordinal")" \
    '{name: $name, peerUrl: $peer, clientUrl: $client}')
  api POST "$leader/v1/cluster/members" "$request"
  # Failing here retries the init container, which starts over from the cluster's view.
  [ "$status" = 201 ] || die "cannot add this pod as a learner: $(problem)"
  node_id=$(json "$body" | jq -r '.id')
  log "added as learner $node_id"
  write_node_env "LATCHKEY_NODE_ID=$node_id" "LATCHKEY_CLUSTER_ID=$(json "$body" | jq -r '.clusterId')"
}

promote_loop() {
  local me cluster id leader
  trap 'exit 0' TERM INT
  me=$(peer_url "${LATCHKEY_K8S_POD_NAME##*-}")
  while :; do
    if cluster=$(fetch_cluster 0); then
      id=$(json "$cluster" | member_by_peer_url "$me" | jq -r 'select(.role == "learner") | .id')
      leader=$(json "$cluster" | leader_url)
      if [ -n "$id" ] && [ -n "$leader" ]; then
        api POST "$leader/v1/cluster/members/$id/promote"
        # 409: the learner still lags; the next round tries again.
        case $status in
          204) log "promoted learner $id to voter" ;;
          409) ;;
          *) log "cannot promote learner $id: $(problem)" ;;
        esac
      fi
    fi
    sleep "$MEMBERSHIP_PROMOTE_INTERVAL_SECONDS" &
    wait $!
  done
}

scale_down() {
  local target deadline cluster leader id
  target=$MEMBERSHIP_TARGET_REPLICAS
  deadline=$(($(date +%s) + MEMBERSHIP_TIMEOUT_SECONDS))
  while :; do
    cluster=$(fetch_cluster "$target") || cluster=""
    leader=""
    [ -z "$cluster" ] || leader=$(json "$cluster" | leader_url)
    if [ -z "$leader" ]; then
      # Without a leader nothing can be removed; that is only fine if no pod beyond the target exists.
      getent hosts "$(pod_host "$target")" >/dev/null ||
        { log "no pod at ordinal $target or above: nothing to remove"; return 0; }
      [ "$(date +%s)" -lt "$deadline" ] || die "no leader answers: cannot remove members safely"
      sleep 2
      continue
    fi
    id=$(json "$cluster" | jq -r --arg sts "$MEMBERSHIP_STATEFULSET" --argjson target "$target" '
      [.members[]
       | {id, ordinal: (.peerUrl | capture("^[a-z]+://" + $sts + "-(?<n>[0-9]+)[.]") | .n | tonumber)}
       | select(.ordinal >= $target)]
      | sort_by(-.ordinal) | first | .id // empty')
    [ -n "$id" ] || { log "every member is below ordinal $target"; return 0; }
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out removing member $id"
    # One removal at a time: the next one is computed against the applied configuration.
    remove_member "$cluster" "$id" "$leader"
  done
}

case "${1:-}" in
  join) join ;;
  promote-loop) promote_loop ;;
  scale-down) scale_down ;;
  *) die "usage: $0 join|promote-loop|scale-down" ;;
esac
