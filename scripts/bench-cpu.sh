#!/usr/bin/env bash
# CPU per operation of a 3-node Latchkey cluster (see BENCHMARKS.md, "Service"):
#
#   scripts/bench-cpu.sh LABEL [JAR]
#
# starts a fresh cluster (scripts/local-cluster.sh) from JAR (default target/latchkey.jar; another
# jar is put in its place for the run and the original restored), warms it up with 2 x BENCH_WARM
# seconds of 16-client put and lock-uncontended, then runs each point of
# io.latchkey.bench.ServiceLoadGenerator as its own call and samples utime+stime of the three node
# JVMs (/proc) over the measured window. It appends to BENCH_OUT (target/bench/cpu.tsv) one line per
# point: LABEL, the generator's line, the nodes' cores and CPU ms per operation, without and with
# the JIT compiler threads (a warm-up cost that dominates short runs). Compare builds by running
# them alternately. Settings: BENCH_SCENARIOS (put get-linearizable lock-uncontended lock-contended), BENCH_CLIENTS
# (1 64), BENCH_WARMUP (3) and BENCH_SECONDS (10) per point, BENCH_WARM (10), BENCH_MODE (spread),
# LATCHKEY_BENCH_BASE_PORT (28080) and LATCHKEY_BENCH_PEER_BASE_PORT (27080).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh

label="$1"; jar="${2:-target/latchkey.jar}"
export LATCHKEY_BASE_PORT="${LATCHKEY_BENCH_BASE_PORT:-28080}"
export LATCHKEY_PEER_BASE_PORT="${LATCHKEY_BENCH_PEER_BASE_PORT:-27080}"
export LATCHKEY_CLUSTER_DIR=target/bench/cpu
# A fixed set of compiler threads, so that their CPU can be told apart over the window.
export LATCHKEY_JAVA_OPTS="${LATCHKEY_JAVA_OPTS:-} -XX:-UseDynamicNumberOfCompilerThreads"
warmup="${BENCH_WARMUP:-3}"; seconds="${BENCH_SECONDS:-10}"; mode="${BENCH_MODE:-spread}"
out="${BENCH_OUT:-target/bench/cpu.tsv}"
classpath="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
[ "$seconds" -ge 5 ] || { echo "BENCH_SECONDS must be at least 5" >&2; exit 2; }

mkdir -p target/bench
scripts/local-cluster.sh stop 3 >/dev/null
rm -rf "$LATCHKEY_CLUSTER_DIR"
if [ "$jar" != target/latchkey.jar ]; then
  cp target/latchkey.jar target/bench/latchkey.jar.saved
  cp "$jar" target/latchkey.jar
  trap 'scripts/local-cluster.sh stop 3 >/dev/null; mv target/bench/latchkey.jar.saved target/latchkey.jar' EXIT
else
  trap 'scripts/local-cluster.sh stop 3 >/dev/null' EXIT
fi
scripts/local-cluster.sh start 3 >/dev/null
pids="$(cat "$LATCHKEY_CLUSTER_DIR"/node-*.pid)"
endpoints="http://127.0.0.1:$((LATCHKEY_BASE_PORT + 1)),http://127.0.0.1:$((LATCHKEY_BASE_PORT + 2)),http://127.0.0.1:$((LATCHKEY_BASE_PORT + 3))"
tck=$(getconf CLK_TCK)

# CPU ticks of the node JVMs; the first leaves out the JIT compiler threads. A thread's comm
# may contain spaces, so its stat fields are counted after the closing parenthesis.
cpu_steady() {
  local t=0 p task
  for p in $pids; do
    t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
    for task in /proc/"$p"/task/*; do
      case "$(cat "$task/comm")" in
        C1\ Compiler*|C2\ Compiler*) t=$((t - $(sed 's/.*) //' "$task/stat" | awk '{print $12 + $13}'))) ;;
      esac
    done
  done
  echo "$t"
}
cpu_all() {
  local t=0 p
  for p in $pids; do t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done
  echo "$t"
}
generate() {
  "$JAVA_HOME/bin/java" -cp "$classpath" io.latchkey.bench.ServiceLoadGenerator run --system latchkey \
      --endpoints "$endpoints" --mode "$mode" "$@"
}

until curl -fsS -o /dev/null -X PUT --data x "http://127.0.0.1:$((LATCHKEY_BASE_PORT + 1))/v1/config/bench/warm" 2>/dev/null; do sleep 0.5; done
generate --clients 16 --scenarios put,lock-uncontended --warmup 0 --seconds "${BENCH_WARM:-10}" >/dev/null
for scenario in ${BENCH_SCENARIOS:-put get-linearizable lock-uncontended lock-contended}; do
  for clients in ${BENCH_CLIENTS:-1 64}; do
    log=target/bench/cpu-point.log
    generate --clients "$clients" --scenarios "$scenario" --warmup "$warmup" --seconds "$seconds" >"$log" 2>&1 &
    generator=$!
    # Sample inside the measured window: its first 2 s and last 1 s are left out.
    sleep $((warmup + 2)); s0=$(cpu_steady); a0=$(cpu_all); t0=$(date +%s.%N)
    sleep $((seconds - 3)); s1=$(cpu_steady); a1=$(cpu_all); t1=$(date +%s.%N)
    wait "$generator"
    line=$(grep -E "^$scenario " "$log" | tail -1)
    awk -v label="$label" -v line="$line" -v s0="$s0" -v s1="$s1" -v a0="$a0" -v a1="$a1" -v t0="$t0" -v t1="$t1" \
        -v tck="$tck" 'BEGIN { split(line, f, " "); ops = f[3]; steady = (s1 - s0) / tck / (t1 - t0);
          all = (a1 - a0) / tck / (t1 - t0);
          printf "%s\t%s\t%.3f cores\t%.3f ms/op\t%.3f ms/op with JIT\n", label, line, steady, steady / ops * 1000, all / ops * 1000 }' \
        | tee -a "$out"
  done
done
