#!/usr/bin/env bash
# Service benchmark of Latchkey (see BENCHMARKS.md, "Service (3 local nodes)"):
#
#   scripts/bench-service.sh
#
# builds target/latchkey.jar and the test classes if needed, starts a fresh 3-node local
# cluster (scripts/local-cluster.sh, client ports 18081-18083, peer ports 17081-17083, data in
# target/bench/latchkey), runs io.latchkey.bench.ServiceLoadGenerator against it and stops the
# cluster again (also on failure or Ctrl-C). Settings (environment):
#   BENCH_PRIME (30: seconds of unmeasured load over all scenarios first, so that the JVMs'
#   JIT has compiled the request paths), BENCH_SECONDS (10) and BENCH_WARMUP (2) per point, BENCH_CLIENTS (1,16,64),
#   BENCH_SCENARIOS (all, or e.g. put,lock-contended), BENCH_MODE (spread: client i on node
#   i mod 3; leader: every client on the leader), BENCH_OUT (target/bench/latchkey.tsv;
#   results are appended).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh

export LATCHKEY_BASE_PORT="${LATCHKEY_BENCH_BASE_PORT:-18080}"
export LATCHKEY_PEER_BASE_PORT="${LATCHKEY_BENCH_PEER_BASE_PORT:-17080}"
export LATCHKEY_CLUSTER_DIR=target/bench/latchkey
out="${BENCH_OUT:-target/bench/latchkey.tsv}"
classpath_file=target/bench-classpath.txt

if [ ! -f target/latchkey.jar ] || [ ! -f target/test-classes/io/latchkey/bench/ServiceLoadGenerator.class ] \
    || [ ! -f "$classpath_file" ]; then
  ./mvnw -B -ntp -q package -DskipTests dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
fi

mkdir -p target/bench
scripts/local-cluster.sh stop 3
rm -rf "$LATCHKEY_CLUSTER_DIR"
trap 'scripts/local-cluster.sh stop 3' EXIT
scripts/local-cluster.sh start 3

endpoints=""
for i in 1 2 3; do
  endpoints="${endpoints:+$endpoints,}http://127.0.0.1:$((LATCHKEY_BASE_PORT + i))"
done
"$JAVA_HOME/bin/java" -cp "target/test-classes:target/classes:$(cat "$classpath_file")" \
    io.latchkey.bench.ServiceLoadGenerator run --system latchkey --endpoints "$endpoints" \
    --mode "${BENCH_MODE:-spread}" --clients "${BENCH_CLIENTS:-1,16,64}" --scenarios "${BENCH_SCENARIOS:-all}" \
    --prime "${BENCH_PRIME:-30}" --warmup "${BENCH_WARMUP:-2}" --seconds "${BENCH_SECONDS:-10}" --out "$out"
