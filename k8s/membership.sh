#!/bin/sh
# Latchkey membership automation for a StatefulSet, driven through the membership API
# (/v1/cluster, /v1/cluster/members) with curl and jq from the Latchkey image.
#
#   join          init container: before the node starts, decide restart, bootstrap or join.
#                 Joining adds this pod as a learner (the order is: add learner -> start -> promote).
#   promote-loop  sidecar: promotes this pod's learner once the leader accepts it (caught up).
#   scale-down    Helm pre-upgrade hook or by hand: removes the members whose ordinal is
#                 >= MEMBERSHIP_TARGET_REPLICAS, highest first, one at a time, before their pods go.
#
# Members are matched by peer URL: a pod's peer URL is fixed by its stable network identity,
# while its member id changes whenever it rejoins with an empty volume.
# POSIX sh plus `local`, which dash (the image's /bin/sh) and busybox support.
set -eu

log() { echo "membership: $*" >&2; }
die() { log "$*"; exit 1; }

pod_host() {
  echo "$MEMBERSHIP_STATEFULSET-$1.$LATCHKEY_K8S_SERVICE_NAME.$LATCHKEY_K8S_NAMESPACE.svc.$LATCHKEY_K8S_CLUSTER_DOMAIN"
}
peer_url() { echo "$MEMBERSHIP_PEER_SCHEME://$(pod_host "$1"):$LATCHKEY_PEER_PORT"; }
client_url() { echo "http://$(pod_host "$1"):$SERVER_PORT"; }

# Any member can describe the cluster; the client Service reaches a ready one, and the headless
# names reach members that are not ready (for example while no leader is known).
fetch_cluster() {
  local candidate=0 candidates base
  candidates="http://$MEMBERSHIP_CLIENT_SERVICE:$SERVER_PORT"
  while [ "$candidate" -lt "$1" ]; do
    candidates="$candidates $(client_url "$candidate")"
    candidate=$((candidate + 1))
  done
  for base in $candidates; do
    if curl -fsS --max-time 3 "$base/v1/cluster" 2>/dev/null; then
      return 0
    fi
  done
  return 1
}

leader_url() { jq -r '.leader as $leader | .members[] | select(.id == $leader) | .clientUrl'; }

member_by_peer_url() {
  jq -c --arg peer "$1" '.members[] | select(.peerUrl == $peer)'
}

api() {
  curl -fsS --max-time 10 -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "$2"
}

# Removing a voter shrinks the quorum; refuse unless a majority of the voters that remain answer
# /health/ready, so that the cluster keeps committing while the pod goes away.
remove_member() {
  local cluster=$1 id=$2 leader=$3 learner ready voters url attempts
  learner=$(echo "$cluster" | jq -r --arg id "$id" '.members[] | select((.id | tostring) == $id) | .learner')
  if [ "$learner" != "true" ]; then
    ready=0
    voters=0
    for url in $(echo "$cluster" | jq -r --arg id "$id" \
        '.members[] | select((.id | tostring) != $id and (.learner | not)) | .clientUrl'); do
      voters=$((voters + 1))
      if curl -fsS --max-time 3 -o /dev/null "$url/health/ready" 2>/dev/null; then
        ready=$((ready + 1))
      fi
    done
    [ "$ready" -ge $((voters / 2 + 1)) ] ||
      die "refusing to remove voter $id: only $ready of the $voters remaining voters are ready"
  fi
  log "removing member $id"
  api DELETE "$leader/v1/cluster/members/$id" >/dev/null
  # The next change (a removal or this pod's re-add) must see the removal committed.
  attempts=0
  until fetch_cluster 0 | jq -e --arg id "$id" 'all(.members[]; (.id | tostring) != $id)' >/dev/null; do
    attempts=$((attempts + 1))
    [ "$attempts" -lt 60 ] || die "member $id is still listed 120 s after its removal"
    sleep 2
  done
}

join() {
  local ordinal me probe has_state cluster leader existing body id
  ordinal=${LATCHKEY_K8S_POD_NAME##*-}
  me=$(peer_url "$ordinal")
  probe=$((ordinal > LATCHKEY_K8S_REPLICAS ? ordinal : LATCHKEY_K8S_REPLICAS))
  has_state=$(find "$LATCHKEY_DATA_DIR" -mindepth 1 -maxdepth 1 ! -name lost+found | head -n 1)
  cluster=$(fetch_cluster "$probe") || cluster=""
  leader=""
  [ -z "$cluster" ] || leader=$(echo "$cluster" | leader_url)

  if [ -n "$has_state" ]; then
    # A volume left behind by a removed member would restart a node the cluster no longer knows.
    if [ -n "$leader" ] && [ -z "$(echo "$cluster" | member_by_peer_url "$me")" ]; then
      die "data in $LATCHKEY_DATA_DIR belongs to a removed member: delete this pod's PVCs, then the pod"
    fi
    log "restarting from the state in $LATCHKEY_DATA_DIR"
    return 0
  fi
  if [ -z "$leader" ]; then
    # With no leader anywhere this is the first start of the cluster (or a majority is lost,
    # which no script can repair). Only the initial members may bootstrap.
    [ "$ordinal" -lt "$LATCHKEY_K8S_REPLICAS" ] ||
      die "no leader answers; member $ordinal is not an initial member and must join: will retry"
    log "no leader answers: bootstrapping as initial member $ordinal of $LATCHKEY_K8S_REPLICAS"
    return 0
  fi

  existing=$(echo "$cluster" | member_by_peer_url "$me")
  if [ -n "$existing" ]; then
    if [ "$(echo "$existing" | jq -r '.learner')" = "true" ]; then
      log "already a learner: starting to catch up"
      return 0
    fi
    # An empty volume has lost whatever this member voted and acknowledged, so it must not come
    # back under its old id: remove it and rejoin under a new one.
    remove_member "$cluster" "$(echo "$existing" | jq -r '.id')" "$leader"
  fi
  body=$(jq -nc --arg peer "$me" --arg client "$(client_url "$ordinal")" '{peerUrl: $peer, clientUrl: $client}')
  id=$(api POST "$leader/v1/cluster/members" "$body" | jq -r '.id')
  log "added as learner $id"
}

promote_loop() {
  local me cluster id leader
  trap 'exit 0' TERM INT
  me=$(peer_url "${LATCHKEY_K8S_POD_NAME##*-}")
  while :; do
    if cluster=$(fetch_cluster 0); then
      id=$(echo "$cluster" | member_by_peer_url "$me" | jq -r 'select(.learner) | .id')
      leader=$(echo "$cluster" | leader_url)
      # The leader rejects the promotion while the learner lags; the next round tries again.
      if [ -n "$id" ] && [ -n "$leader" ] && api POST "$leader/v1/cluster/members/$id/promote" >/dev/null 2>&1; then
        log "promoted learner $id to voter"
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
    [ -z "$cluster" ] || leader=$(echo "$cluster" | leader_url)
    if [ -z "$leader" ]; then
      # Without a leader nothing can be removed; that is only fine if no pod beyond the target exists.
      getent hosts "$(pod_host "$target")" >/dev/null ||
        { log "no pod at ordinal $target or above: nothing to remove"; return 0; }
      [ "$(date +%s)" -lt "$deadline" ] || die "no leader answers: cannot remove members safely"
      sleep 2
      continue
    fi
    id=$(echo "$cluster" | jq -r --arg sts "$MEMBERSHIP_STATEFULSET" --argjson target "$target" '
      [.members[]
       | {id, ordinal: (.peerUrl | capture("^[a-z]+://" + $sts + "-(?<n>[0-9]+)[.]") | .n | tonumber)}
       | select(.ordinal >= $target)]
      | sort_by(-.ordinal) | first | .id // empty')
    [ -n "$id" ] || { log "every member is below ordinal $target"; return 0; }
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out removing member $id"
    # One removal at a time: the next one is computed against the committed configuration.
    remove_member "$cluster" "$id" "$leader" || die "cannot remove member $id"
  done
}

case "${1:-}" in
  join) join ;;
  promote-loop) promote_loop ;;
  scale-down) scale_down ;;
  *) die "usage: $0 join|promote-loop|scale-down" ;;
esac
