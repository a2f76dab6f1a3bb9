#!/usr/bin/env bash
# The storage floor beside a single Latchkey node, in one run (issue 12, item 4 and the
# single-node target; see BENCHMARKS.md):
#
#   scripts/bench-floor.sh
#
# 1. the disk: pg_test_fsync's one 8 kB write + fdatasync (PostgreSQL's default WAL sync
#    method on Linux);
# 2. starts one Latchkey node (scripts/local-cluster.sh start 1; client port 48181, data in
#    target/bench/floor) and, on its own embedded PostgreSQL, runs pgbench with one client
#    doing one durable single-row INSERT per transaction (fsync and synchronous_commit on, as
#    the node sets them);
# 3. puts at one client on that node (io.latchkey.bench.ServiceLoadGenerator, after BENCH_PRIME
#    (30) seconds of unmeasured puts: a fresh JVM's first seconds are interpreted), then reads the
#    node's own storage commit time (the `persist` write stage: one Ready's entries and hard
#    state, one transaction) from its /metrics;
# 4. pgbench again, so that the disk's drift during the run shows as the two pgbench rows'
#    difference.
# Prints one markdown table (p50 ms; the put's ratio to pgbench's commit), appended to
# BENCH_OUT if set. The tools come from the Debian package postgresql-15 (installed if
# missing, like bench-compare.sh installs ZooKeeper and etcd); zonky's embedded binaries ship
# neither. BENCH_SECONDS (10) per step.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh

seconds="${BENCH_SECONDS:-10}"
pg_bin=/usr/lib/postgresql/15/bin
if [ ! -x "$pg_bin/pgbench" ] || [ ! -x "$pg_bin/pg_test_fsync" ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15
fi

export LATCHKEY_BASE_PORT="${LATCHKEY_BENCH_BASE_PORT:-48180}"
export LATCHKEY_PEER_BASE_PORT="${LATCHKEY_BENCH_PEER_BASE_PORT:-47180}"
export LATCHKEY_CLUSTER_DIR=target/bench/floor
classpath_file=target/bench-classpath.txt
if [ ! -f target/latchkey.jar ] || [ ! -f target/test-classes/io/latchkey/bench/ServiceLoadGenerator.class ] \
    || [ ! -f "$classpath_file" ]; then
  ./mvnw -B -ntp -q package -DskipTests dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
fi

scripts/local-cluster.sh stop 1 >/dev/null
rm -rf "$LATCHKEY_CLUSTER_DIR"
mkdir -p "$LATCHKEY_CLUSTER_DIR"
work="$PWD/$LATCHKEY_CLUSTER_DIR"
trap 'scripts/local-cluster.sh stop 1 >/dev/null' EXIT

# 1. The disk, in the directory the databases live in.
fdatasync_ms=$("$pg_bin/pg_test_fsync" -s "$((seconds / 2 > 0 ? seconds / 2 : 1))" -f "$work/fsync.tmp" \
    | awk '/one 8kB write/ { section = 1 } section && $1 == "fdatasync" { print $(NF - 1) / 1000; exit }')
rm -f "$work/fsync.tmp"

scripts/local-cluster.sh start 1 >/dev/null
node="http://127.0.0.1:$((LATCHKEY_BASE_PORT + 1))"
# The postmaster's port is the fourth line of its lock file.
pg_port=$(sed -n 4p "$work/node-1/postgres/postmaster.pid")
psql_args=(-h 127.0.0.1 -p "$pg_port" -U postgres postgres)
"$pg_bin/psql" -q "${psql_args[@]}" -c "CREATE TABLE floor_bench (id bigserial PRIMARY KEY, v bytea)"
echo "INSERT INTO floor_bench (v) VALUES ('\\x$(printf '%0128d' 0)');" >"$work/insert.sql"

# Median of pgbench's per-transaction latencies (its log's third column, microseconds).
pgbench_p50() {
  rm -f "$work"/pgbench_log.*
  (cd "$work" && "$pg_bin/pgbench" -n -c 1 -T "$seconds" -f insert.sql -l "${psql_args[@]}" >/dev/null 2>&1)
  cat "$work"/pgbench_log.* | awk '{ print $3 }' | sort -n \
      | awk '{ v[NR] = $1 } END { printf "%.3f %d\n", v[int((NR + 1) / 2)] / 1000, NR / '"$seconds"' }'
}

read -r pgbench_before pgbench_before_rate < <(pgbench_p50)

# 3. Puts at one client on the node; the generator prints "put CLIENTS OPS/S P50 P99 ERRORS".
read -r _ _ put_rate put_p50 _ _ < <("$JAVA_HOME/bin/java" \
    -cp "target/test-classes:target/classes:$(cat "$classpath_file")" \
    io.latchkey.bench.ServiceLoadGenerator run --system latchkey --endpoints "$node" \
    --mode leader --clients 1 --scenarios put --prime "${BENCH_PRIME:-30}" --warmup 2 --seconds "$seconds" \
    | grep -E '^put ')
persist_p50=$(curl -fsS "$node/metrics" \
    | awk -F'[ ]' '/^latchkey_write_stage_seconds\{/ && /quantile="0.5"/ && /stage="persist"/ { printf "%.3f", $2 * 1000 }')

read -r pgbench_after pgbench_after_rate < <(pgbench_p50)

table=$(awk -v fs="$fdatasync_ms" -v b="$pgbench_before" -v br="$pgbench_before_rate" \
    -v a="$pgbench_after" -v ar="$pgbench_after_rate" -v persist="$persist_p50" \
    -v put="$put_p50" -v rate="$put_rate" 'BEGIN {
  floor = (b + a) / 2
  print "| step (one client, p50) | ms | per second | ÷ pgbench commit |"
  print "|---|---:|---:|---:|"
  printf "| disk: 8 kB write + fdatasync (pg_test_fsync) | %.3f | | %.2f |\n", fs, fs / floor
  printf "| pgbench: durable single-row INSERT, before | %.3f | %d | |\n", b, br
  printf "| Latchkey storage commit (persist stage, one Ready) | %.3f | | %.2f |\n", persist, persist / floor
  printf "| Latchkey single node: put over HTTP | %.3f | %.0f | **%.2f** (target <= 3) |\n", put, rate, put / floor
  printf "| pgbench: durable single-row INSERT, after | %.3f | %d | |\n", a, ar
}')
echo "$table"
if [ -n "${BENCH_OUT:-}" ]; then
  printf '\n%s\n' "$table" >>"$BENCH_OUT"
fi
