#!/usr/bin/env bash
# Jepsen-style fault test of a real Latchkey cluster: nodes are separate JVMs (each with its
# embedded PostgreSQL), by default each in its own network namespace on a private bridge;
# clients run here; a seeded nemesis kills, pauses, partitions (both ways or one way), drops
# packets, jumps node clocks, fails fsync, stops a node's PostgreSQL, replaces members (also
# while members are killed or paused: reconfig) and transfers leadership (to a leader that may
# no longer hear its peers); nodes snapshot every 100 entries (--snapshot-entries), so members
# that fall behind catch up by snapshot install.
# The history is checked for linearizability, fencing and lease safety.
#
#   scripts/jepsen.sh [--seed S] [--runs N] [--time T] [--nodes 3|5]
#                     [--nemesis kill,pause,partition,loss,clock,fsync,member,transfer,oneway,pgpause,reconfig|all|none]
#                     [--workload register,lease-register,lock,lease,watch] [--net netns|loopback] [--keep]
#                     [--snapshot-entries N]
#   scripts/jepsen.sh --soak HOURS [options]   repeats runs with fresh seeds for HOURS
#
# Prints `jepsen: N runs, M violations, K ops, I indeterminate`; on a violation the history,
# checker report, nemesis log and node logs are under target/jepsen/<seed>/ and the exit
# status is 1. Needs root (namespaces, iptables); installs iproute2, iptables, libfaketime (clock
# nemesis) and gcc (builds the fsync nemesis's LD_PRELOAD shim) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "jepsen: needs root (network namespaces, iptables, signals to node processes); not running" >&2
  exit 2
fi

missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v iptables >/dev/null || missing+=(iptables)
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || missing+=(faketime libfaketime)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "jepsen: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

. scripts/java-home.sh

soak_hours=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --soak) soak_hours="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

mvn_flags=(-B -ntp -q)
if [ -d "$HOME/.m2/repository/io/helidon" ]; then mvn_flags+=(-o); fi
./mvnw "${mvn_flags[@]}" test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/jepsen-classpath.txt -Dmdep.includeScope=test >/dev/null
cp="target/test-classes:target/classes:$(cat target/jepsen-classpath.txt)"

# The Java side removes its namespaces, bridge, rules and processes in finally blocks; this trap
# only covers the harness JVM itself being killed: it removes what carries our prefix and pid.
runner_pid=""
cleanup() {
  if [ -n "$runner_pid" ] && kill -0 "$runner_pid" 2>/dev/null; then
    kill "$runner_pid" 2>/dev/null || true
    wait "$runner_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

run_once() {
  "$JAVA_HOME/bin/java" -Xmx512m -cp "$cp" io.latchkey.jepsen.JepsenRunner "$@" &
  runner_pid=$!
  local status=0
  wait "$runner_pid" || status=$?
  runner_pid=""
  return "$status"
}

if [ -z "$soak_hours" ]; then
  run_once "${args[@]+"${args[@]}"}"
  exit $?
fi

end=$(( $(date +%s) + soak_hours * 3600 ))
runs=0; failed=0
while [ "$(date +%s)" -lt "$end" ]; do
  seed=$(( ($(date +%s%N) / 1000) % 1000000000 ))
  runs=$((runs + 1))
  run_once --seed "$seed" "${args[@]+"${args[@]}"}" || failed=$((failed + 1))
done
echo "jepsen soak: $runs configurations, $failed failed"
[ "$failed" -eq 0 ]
