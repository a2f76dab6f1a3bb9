#!/usr/bin/env bash
# A local cluster of separate Latchkey processes on 127.0.0.1, each with its own embedded
# PostgreSQL:   scripts/local-cluster.sh start|stop|status [N]   (N defaults to 3)
#
# Node i (1..N) serves clients on LATCHKEY_BASE_PORT+i (default 8080+i) and peers on
# LATCHKEY_PEER_BASE_PORT+i (default 7080+i); its data is in target/local-cluster/node-i and
# its log in target/local-cluster/node-i.log (LATCHKEY_CLUSTER_DIR replaces target/local-cluster). `start` starts the nodes that are not running
# (so it also restarts a killed one) and returns once a leader takes writes (it granted a 1 s lease); `status` prints
# each node's pid, ports and role; `stop` stops only the processes this script started.
# LATCHKEY_LEADER_WAIT_SECONDS (180) bounds the wait for a leader that takes writes. LATCHKEY_JAVA_OPTS adds JVM options to every node, e.g.
# LATCHKEY_JAVA_OPTS=-Dlatchkey.raft.async-storage-writes=false. LATCHKEY_CLASSPATH runs the nodes
# from that classpath (io.helidon.Main) instead of target/latchkey.jar, as the process tests do.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh

command="${1:-}"
nodes="${2:-3}"
base_port="${LATCHKEY_BASE_PORT:-8080}"
peer_base_port="${LATCHKEY_PEER_BASE_PORT:-7080}"
dir="${LATCHKEY_CLUSTER_DIR:-target/local-cluster}"
jar=target/latchkey.jar
# Only for this local cluster; a real one gets its own secret.
secret="${LATCHKEY_PEER_SECRET:-local-cluster-peer-secret}"
# A loaded machine (other builds) can take minutes to boot three JVMs and their PostgreSQLs.
leader_wait_seconds="${LATCHKEY_LEADER_WAIT_SECONDS:-180}"

case "$nodes" in (''|*[!0-9]*) echo "N must be a number" >&2; exit 2 ;; esac

client_port() { echo $((base_port + $1)); }
peer_port() { echo $((peer_base_port + $1)); }
pid_file() { echo "$dir/node-$1.pid"; }

running() {
  local file; file=$(pid_file "$1")
  [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null
}

peers() {
  local list="" i
  for i in $(seq 1 "$nodes"); do
    list="${list:+$list,}$(printf '%x' "$i")=http://127.0.0.1:$(peer_port "$i")"
  done
  echo "$list"
}

cluster_json() { curl -fsS --max-time 2 "http://127.0.0.1:$(client_port "$1")/v1/cluster" 2>/dev/null; }

leader_of() { cluster_json "$1" | sed -n 's/.*"leaderId":"\([0-9a-f]*\)".*/\1/p'; }

# protobuf-java reads arrays through sun.misc.Unsafe; JDK 24 and later warn about it at every
# start unless told to allow it (JDK 21 does not know the option).
unsafe_opt() {
  if "$JAVA_HOME/bin/java" --help-extra 2>&1 | grep -q -- --sun-misc-unsafe-memory-access; then
    echo --sun-misc-unsafe-memory-access=allow
  fi
}

start() {
  local launch
  if [ -n "${LATCHKEY_CLASSPATH:-}" ]; then
    launch=(-cp "$LATCHKEY_CLASSPATH" io.helidon.Main)
  else
    launch=(-jar "$jar")
  fi
  if [ -z "${LATCHKEY_CLASSPATH:-}" ] && [ ! -f "$jar" ]; then
    echo "building $jar" >&2
    ./mvnw -B -ntp -q package -DskipTests
  fi
  mkdir -p "$dir"
  local i
  for i in $(seq 1 "$nodes"); do
    if running "$i"; then
      continue
    fi
    mkdir -p "$dir/node-$i"
    # shellcheck disable=SC2086 # the options are meant to split into words
    "$JAVA_HOME/bin/java" $(unsafe_opt) ${LATCHKEY_JAVA_OPTS:-} \
      -Dserver.host=127.0.0.1 \
      -Dserver.port="$(client_port "$i")" \
      -Dlatchkey.peer-port="$(peer_port "$i")" \
      -Dlatchkey.data-dir="$dir/node-$i" \
      -Dlatchkey.node-id="$(printf '%x' "$i")" \
      -Dlatchkey.cluster.peers="$(peers)" \
      -Dlatchkey.peer.secret="$secret" \
      "${launch[@]}" >>"$dir/node-$i.log" 2>&1 &
    echo $! >"$(pid_file "$i")"
    echo "node $i started: pid $!, client port $(client_port "$i"), peer port $(peer_port "$i")"
  done
  local deadline=$((SECONDS + leader_wait_seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    for i in $(seq 1 "$nodes"); do
      local leader; leader=$(leader_of "$i" || true)
      # A leader is elected before it takes writes (it first takes over the lease clock, and
      # until then writes get 503): wait until it grants a lease, which expires on its own.
      if [ -n "$leader" ] && [ "$((16#$leader))" -le "$nodes" ] && takes_writes "$((16#$leader))"; then
        echo "leader: node $((16#$leader))"
        return 0
      fi
    done
    sleep 0.5
  done
  echo "no leader taking writes after ${leader_wait_seconds}s; see $dir/node-*.log" >&2
  return 1
}

takes_writes() {
  curl -fsS --max-time 5 -o /dev/null -X POST -H 'Content-Type: application/json' \
      --data '{"ttlSeconds":1}' "http://127.0.0.1:$(client_port "$1")/v1/leases" 2>/dev/null
}

status() {
  local i
  for i in $(seq 1 "$nodes"); do
    local role="down" pid="-"
    if running "$i"; then
      pid=$(cat "$(pid_file "$i")")
      local leader; leader=$(leader_of "$i" || true)
      if [ -z "$leader" ]; then
        role="no-leader"
      elif [ "$((16#$leader))" -eq "$i" ]; then
        role="leader"
      else
        role="follower"
      fi
    fi
    printf 'node %d pid %s client %d peer %d %s\n' "$i" "$pid" "$(client_port "$i")" "$(peer_port "$i")" "$role"
  done
}

stop() {
  local i
  for i in $(seq 1 "$nodes"); do
    if running "$i"; then
      kill "$(cat "$(pid_file "$i")")"
    fi
  done
  for i in $(seq 1 "$nodes"); do
    local file; file=$(pid_file "$i")
    if [ -f "$file" ]; then
      local pid; pid=$(cat "$file")
      local deadline=$((SECONDS + 30))
      while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$file"
    fi
  done
}

case "$command" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status [N]" >&2; exit 2 ;;
esac
