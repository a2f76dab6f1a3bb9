#!/usr/bin/env bash
# Runs the Raft core JMH benchmarks (RaftCoreBenchmark) in one forked JVM; see BENCHMARKS.md.
# With no arguments it runs every benchmark with the GC profiler (bytes allocated per commit).
# Any arguments replace those and go to JMH as they are, e.g. `-h` or `RaftCoreBenchmark.latchkey -prof gc`.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
classpath_file=target/bench-classpath.txt
./mvnw -B -ntp -q test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
if [ "$#" -eq 0 ]; then
    set -- RaftCoreBenchmark -prof gc
fi
exec "$JAVA_HOME/bin/java" -cp "target/test-classes:target/classes:$(cat "$classpath_file")" \
    org.openjdk.jmh.Main "$@"
