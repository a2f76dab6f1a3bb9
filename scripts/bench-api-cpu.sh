#!/usr/bin/env bash
# Server CPU per request of one node's client API (see BENCHMARKS.md, "JAX-RS CPU per request"):
#
#   scripts/bench-api-cpu.sh LABEL [JAR]
#
# starts a fresh single node (scripts/local-cluster.sh) from JAR (default target/latchkey.jar; any
# build's jar with its libs/ beside it, e.g. an old commit's, so builds can be compared), sends each
# scenario BENCH_WARM_REQUESTS times unmeasured so the JIT has compiled the request paths, then runs
# io.latchkey.bench.ApiCpuPerRequest per scenario and stops the node. It appends one line per
# scenario to BENCH_OUT (target/bench/api-cpu.tsv): LABEL, scenario, requests, requests/s, node CPU
# ms per request without and with the JIT threads, and the load average. Compare builds by running
# them alternately (A, B, A, B). Settings: BENCH_SCENARIOS (get put lock), BENCH_THREADS (16),
# BENCH_REQUESTS (get 30000, the others 5000), BENCH_WARM_REQUESTS (get 30000, the others 6000; on a
# loaded machine the JIT needs that long to finish the request paths),
# LATCHKEY_BENCH_BASE_PORT (29080) and LATCHKEY_BENCH_PEER_BASE_PORT (29180).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh

label="$1"; jar="$(realpath "${2:-target/latchkey.jar}")"
export LATCHKEY_BASE_PORT="${LATCHKEY_BENCH_BASE_PORT:-29080}"
export LATCHKEY_PEER_BASE_PORT="${LATCHKEY_BENCH_PEER_BASE_PORT:-29180}"
export LATCHKEY_CLUSTER_DIR=target/bench/api-cpu-$LATCHKEY_BASE_PORT
# The jar's manifest names its libs/, so any build runs this way.
export LATCHKEY_CLASSPATH="$jar"
# A fixed set of compiler threads, so that their CPU can be told apart.
export LATCHKEY_JAVA_OPTS="${LATCHKEY_JAVA_OPTS:-} -XX:-UseDynamicNumberOfCompilerThreads"
threads="${BENCH_THREADS:-16}"
out="${BENCH_OUT:-target/bench/api-cpu.tsv}"
[ -f target/test-classes/io/latchkey/bench/ApiCpuPerRequest.class ] || ./mvnw -B -ntp -q test-compile

mkdir -p target/bench
scripts/local-cluster.sh stop 1 >/dev/null
rm -rf "$LATCHKEY_CLUSTER_DIR"
trap 'scripts/local-cluster.sh stop 1 >/dev/null' EXIT
scripts/local-cluster.sh start 1 >/dev/null
pid="$(cat "$LATCHKEY_CLUSTER_DIR/node-1.pid")"
base="http://127.0.0.1:$((LATCHKEY_BASE_PORT + 1))"

measure() {
  "$JAVA_HOME/bin/java" -cp target/test-classes io.latchkey.bench.ApiCpuPerRequest "$base" "$pid" "$@" "$threads"
}
count() {
  case "$1" in get) echo "$2" ;; *) echo "$3" ;; esac
}

for scenario in ${BENCH_SCENARIOS:-get put lock}; do
  measure "$scenario" "$(count "$scenario" "${BENCH_WARM_REQUESTS:-30000}" "${BENCH_WARM_REQUESTS:-6000}")" >/dev/null
done
for scenario in ${BENCH_SCENARIOS:-get put lock}; do
  line=$(measure "$scenario" "$(count "$scenario" "${BENCH_REQUESTS:-30000}" "${BENCH_REQUESTS:-5000}")")
  printf '%s\t%s\tload %s\n' "$label" "$line" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out"
done
