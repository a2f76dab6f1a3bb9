#!/usr/bin/env bash
# Latchkey against ZooKeeper (+ Curator) and etcd, same workloads, same client counts, same
# machine, one after the other (see BENCHMARKS.md, "Service (3 local nodes)"):
#
#   scripts/bench-compare.sh
#
# 1. installs the Debian packages zookeeper and etcd-server if missing (apt-get; nothing else
#    is downloaded besides Maven dependencies);
# 2. runs scripts/bench-service.sh (a 3-node Latchkey cluster);
# 3. starts a 3-server ZooKeeper ensemble on 127.0.0.1 (client ports 12181-12183, forceSync
#    left at its default, yes), runs the generator with Curator, stops it;
# 4. starts a 3-member etcd cluster on 127.0.0.1 (client ports 22379/22479/22579, default
#    fsync), runs the generator through etcd's v3 HTTP/JSON gateway, stops it;
# 5. writes the tables with Latchkey's ratios to target/bench/report.md;
# 6. runs scripts/bench-floor.sh (the disk, pgbench's durable commit and a single Latchkey
#    node's put, one client) and appends its table to the report (BENCH_FLOOR=0 skips it).
# Everything lives under target/bench; every process started here is stopped on exit.
# The BENCH_* settings of bench-service.sh apply to all three systems.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh

bench=target/bench
results="$bench/results.tsv"
classpath_file=target/bench-classpath.txt
systems="${BENCH_SYSTEMS:-latchkey zookeeper etcd}"

if ! dpkg -s zookeeper >/dev/null 2>&1 || ! dpkg -s etcd-server >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y zookeeper etcd-server
fi

mkdir -p "$bench"
rm -f "$results"
pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    local deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  pids=()
}
trap stop_all EXIT

generator() {
  "$JAVA_HOME/bin/java" -cp "target/test-classes:target/classes:$(cat "$classpath_file")" \
      io.latchkey.bench.ServiceLoadGenerator "$@"
}

run_generator() {
  generator run --system "$1" --endpoints "$2" --clients "${BENCH_CLIENTS:-1,16,64}" \
      --scenarios "${BENCH_SCENARIOS:-all}" --prime "${BENCH_PRIME:-30}" --warmup "${BENCH_WARMUP:-2}" --seconds "${BENCH_SECONDS:-10}" \
      --out "$results"
}

# Waits for a command to succeed, up to a deadline.
wait_for() {
  local what="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$what not ready after ${seconds}s" >&2
      return 1
    fi
    sleep 0.5
  done
}

case " $systems " in (*" latchkey "*)
  BENCH_OUT="$results" scripts/bench-service.sh
esac

case " $systems " in (*" zookeeper "*)
  zk="$bench/zookeeper"
  rm -rf "$zk"
  servers=""
  for i in 1 2 3; do
    servers="${servers}server.$i=127.0.0.1:$((12887 + i)):$((13887 + i))"$'\n'
  done
  for i in 1 2 3; do
    mkdir -p "$zk/zk$i/data"
    echo "$i" >"$zk/zk$i/data/myid"
    cat >"$zk/zk$i/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$PWD/$zk/zk$i/data
clientPort=$((12180 + i))
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr
$servers
CFG
    # The Debian package's server on the JDK the project builds with; forceSync is on by default.
    "$JAVA_HOME/bin/java" -Xmx512m -cp "/usr/share/java/zookeeper.jar" \
        org.apache.zookeeper.server.quorum.QuorumPeerMain "$zk/zk$i/zoo.cfg" >"$zk/zk$i.log" 2>&1 &
    pids+=($!)
  done
  zk_mode() ( exec 3<>"/dev/tcp/127.0.0.1/$1" && echo srvr >&3 && grep -Eq 'Mode: (leader|follower)' <&3 )
  for i in 1 2 3; do
    wait_for "ZooKeeper server $i" 60 zk_mode $((12180 + i))
  done
  run_generator zookeeper 127.0.0.1:12181,127.0.0.1:12182,127.0.0.1:12183
  stop_all
esac

case " $systems " in (*" etcd "*)
  etcd_dir="$bench/etcd"
  rm -rf "$etcd_dir"
  mkdir -p "$etcd_dir"
  cluster=""
  for i in 1 2 3; do
    cluster="${cluster:+$cluster,}e$i=http://127.0.0.1:$((22280 + 100 * i))"
  done
  endpoints=""
  for i in 1 2 3; do
    client="http://127.0.0.1:$((22279 + 100 * i))"
    endpoints="${endpoints:+$endpoints,}$client"
    etcd --name "e$i" --data-dir "$etcd_dir/e$i" \
        --listen-client-urls "$client" --advertise-client-urls "$client" \
        --listen-peer-urls "http://127.0.0.1:$((22280 + 100 * i))" \
        --initial-advertise-peer-urls "http://127.0.0.1:$((22280 + 100 * i))" \
        --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token latchkey-bench \
        >"$etcd_dir/e$i.log" 2>&1 &
    pids+=($!)
  done
  for i in 1 2 3; do
    wait_for "etcd member $i" 60 sh -c "curl -fsS http://127.0.0.1:$((22279 + 100 * i))/health | grep -q '\"health\":\"true\"'"
  done
  run_generator etcd "$endpoints"
  stop_all
esac

generator report "$results" | tee "$bench/report.md"

if [ "${BENCH_FLOOR:-1}" != 0 ]; then
  stop_all
  echo
  BENCH_OUT="$bench/report.md" scripts/bench-floor.sh
fi
