#!/usr/bin/env bash
# Client-visible unavailability of a rolling restart of a local 3-node cluster (BENCHMARKS.md,
# "Rolling restart"):   scripts/bench-rolling-restart.sh LABEL [ROUNDS]
#
# Starts a fresh cluster (scripts/local-cluster.sh, nodes from target/classes), runs
# io.latchkey.bench.RollingRestartProbe (one client writing in a loop, failing over between
# nodes), and restarts the nodes one after another as `kubectl rollout restart` does: SIGTERM,
# wait for the exit, start, wait until /health/ready, next. ROUNDS (default 2) passes over all
# nodes. Prints the probe's line prefixed with LABEL. LATCHKEY_JAVA_OPTS goes to the nodes, e.g.
# -Dlatchkey.shutdown.leadership-handover-millis=0 for a stop without leadership handover.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh

label="$1"; rounds="${2:-2}"
export LATCHKEY_BASE_PORT="${LATCHKEY_BENCH_BASE_PORT:-29080}"
export LATCHKEY_PEER_BASE_PORT="${LATCHKEY_BENCH_PEER_BASE_PORT:-29180}"
export LATCHKEY_CLUSTER_DIR=target/bench/rolling
export LATCHKEY_LEADER_WAIT_SECONDS="${LATCHKEY_LEADER_WAIT_SECONDS:-300}"
classpath_file=target/bench-classpath.txt
if [ ! -f target/test-classes/io/latchkey/bench/RollingRestartProbe.class ] || [ ! -f "$classpath_file" ]; then
  ./mvnw -B -ntp -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
fi
export LATCHKEY_CLASSPATH="target/classes:$(cat "$classpath_file")"

scripts/local-cluster.sh stop 3 >/dev/null
rm -rf "$LATCHKEY_CLUSTER_DIR"
stop_file="$LATCHKEY_CLUSTER_DIR/probe.stop"
trap 'touch "$stop_file" 2>/dev/null || true; scripts/local-cluster.sh stop 3 >/dev/null' EXIT
scripts/local-cluster.sh start 3 >/dev/null

endpoints=""
for i in 1 2 3; do
  endpoints="${endpoints:+$endpoints,}http://127.0.0.1:$((LATCHKEY_BASE_PORT + i))"
done
ready() { curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$((LATCHKEY_BASE_PORT + $1))/health/ready" 2>/dev/null; }
for i in 1 2 3; do
  until ready "$i"; do sleep 0.5; done
done

"$JAVA_HOME/bin/java" -cp "target/test-classes:$LATCHKEY_CLASSPATH" io.latchkey.bench.RollingRestartProbe \
    "$endpoints" "$stop_file" >"$LATCHKEY_CLUSTER_DIR/probe.out" &
probe=$!
sleep 5
for round in $(seq 1 "$rounds"); do
  for i in 1 2 3; do
    pid=$(cat "$LATCHKEY_CLUSTER_DIR/node-$i.pid")
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$LATCHKEY_CLUSTER_DIR/node-$i.pid"
    scripts/local-cluster.sh start 3 >/dev/null
    until ready "$i"; do sleep 0.5; done
    sleep 3
  done
done
touch "$stop_file"
wait "$probe"
echo "$label rounds=$rounds $(cat "$LATCHKEY_CLUSTER_DIR/probe.out")"
