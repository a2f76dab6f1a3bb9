#!/usr/bin/env bash
# Where a replicated write's time goes (see BENCHMARKS.md): per-stage p50/p99 of a 3-node
# Latchkey cluster under config puts.
#
#   scripts/bench-stages.sh
#
# starts a fresh cluster (scripts/local-cluster.sh, client ports 48081-48083, peer ports
# 47081-47083, data in target/bench/stages), runs io.latchkey.bench.ServiceLoadGenerator's put
# scenario with every client on the leader, then reads each node's latchkey_write_stage timers
# (GET /metrics; stages in io.latchkey.node.WriteStage) and prints one row per stage: the
# leader's p50/p99 and the followers' (each follower's quantiles, averaged). The quantiles are
# Micrometer's over its recent window (about the last two minutes), which here is the run,
# warm-up included: the long default warm-up lets the JIT compile the paths first, so that the
# few cold seconds at its start are a small share of the samples (they still show in p99).
# Settings: BENCH_CLIENTS (1), BENCH_SECONDS (20), BENCH_WARMUP (40), BENCH_OUT (appends the
# table to this file if set).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/java-home.sh

export LATCHKEY_BASE_PORT="${LATCHKEY_BENCH_BASE_PORT:-48080}"
export LATCHKEY_PEER_BASE_PORT="${LATCHKEY_BENCH_PEER_BASE_PORT:-47080}"
export LATCHKEY_CLUSTER_DIR=target/bench/stages
classpath_file=target/bench-classpath.txt
clients="${BENCH_CLIENTS:-1}"

if [ ! -f target/latchkey.jar ] || [ ! -f target/test-classes/io/latchkey/bench/ServiceLoadGenerator.class ] \
    || [ ! -f "$classpath_file" ]; then
  ./mvnw -B -ntp -q package -DskipTests dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
fi

mkdir -p target/bench
scripts/local-cluster.sh stop 3 >/dev/null
rm -rf "$LATCHKEY_CLUSTER_DIR"
trap 'scripts/local-cluster.sh stop 3 >/dev/null' EXIT
scripts/local-cluster.sh start 3 >/dev/null

endpoints=""
for i in 1 2 3; do
  endpoints="${endpoints:+$endpoints,}http://127.0.0.1:$((LATCHKEY_BASE_PORT + i))"
done
"$JAVA_HOME/bin/java" -cp "target/test-classes:target/classes:$(cat "$classpath_file")" \
    io.latchkey.bench.ServiceLoadGenerator run --system latchkey --endpoints "$endpoints" \
    --mode leader --clients "$clients" --scenarios put \
    --warmup "${BENCH_WARMUP:-40}" --seconds "${BENCH_SECONDS:-20}" | grep -E '^put ' || true

leader=$(scripts/local-cluster.sh status 3 | awk '$NF == "leader" {print $2}')
scrape=target/bench/stages-metrics.txt
: >"$scrape"
for i in 1 2 3; do
  role=follower
  [ "$i" = "$leader" ] && role=leader
  curl -fsS "http://127.0.0.1:$((LATCHKEY_BASE_PORT + i))/metrics" \
    | grep '^latchkey_write_stage_seconds{' | sed "s/^/$role /" >>"$scrape"
done

# Lines look like: ROLE latchkey_write_stage_seconds{mp_scope="application",quantile="0.5",stage="persist",} 0.0012
table=$(awk '
  { role = $1; line = $2; value = $3
    if (match(line, /stage="[^"]*"/) == 0 || match(line, /quantile="[^"]*"/) == 0) next
    match(line, /stage="[^"]*"/); stage = substr(line, RSTART + 7, RLENGTH - 8)
    match(line, /quantile="[^"]*"/); q = substr(line, RSTART + 10, RLENGTH - 11)
    if ((q != "0.5" && q != "0.99") || value == 0) next
    key = role SUBSEP stage SUBSEP q; sum[key] += value; n[key]++; stages[stage] = 1 }
  END {
    order = "propose-queue proposal replicate peer-queue peer-write inbox follower-ack persist peer-round-trip apply"
    printf "| stage | leader p50 ms | leader p99 ms | followers p50 ms | followers p99 ms |\n|---|---:|---:|---:|---:|\n"
    count = split(order, names, " ")
    for (i = 1; i <= count; i++) {
      s = names[i]; if (!(s in stages)) continue
      printf "| %s", s
      split("leader follower", roles, " ")
      for (r = 1; r <= 2; r++) for (j = 1; j <= 2; j++) {
        q = (j == 1) ? "0.5" : "0.99"; key = roles[r] SUBSEP s SUBSEP q
        if (n[key] > 0) printf " | %.2f", sum[key] / n[key] * 1000; else printf " | —"
      }
      printf " |\n"
    }
  }' "$scrape")
echo "stages, put at $clients client(s), every client on the leader:"
echo "$table"
if [ -n "${BENCH_OUT:-}" ]; then
  { echo; echo "stages, put at $clients client(s) ($(date -u '+%Y-%m-%d %H:%M UTC')):"; echo "$table"; } >>"$BENCH_OUT"
fi
