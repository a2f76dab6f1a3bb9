# syntax=docker/dockerfile:1
# Latchkey container image. Build from the repository root:
#   docker build -t latchkey/latchkey:0.1.0 .
# Run outside Kubernetes (read-only root; the JVM needs a writable /tmp):
#   docker run --read-only --tmpfs /tmp -v latchkey-data:/var/lib/latchkey -p 8080:8080 \
#     -e LATCHKEY_STORAGE_JDBC_URL=jdbc:postgresql://db:5432/latchkey ... latchkey/latchkey:0.1.0

FROM eclipse-temurin:21-jdk-noble AS build
# The Maven wrapper downloads Maven with curl and unpacks it with unzip.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl unzip \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY src src
# The container profile leaves out the embedded PostgreSQL binaries: containers always use a
# PostgreSQL server (a sidecar or an external one). The cache mount keeps ~/.m2 between builds.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp package -DskipTests -Pcontainer

FROM eclipse-temurin:21-jre-noble
# curl and jq run the chart's membership script (init container, member-agent, scale-down hook);
# `latchkey` is the command line (target/latchkey-client.jar), e.g. kubectl exec ... -- latchkey member list.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl jq \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 latchkey \
 && useradd --system --uid 10001 --gid latchkey --no-create-home --home-dir /nonexistent latchkey \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/latchkey \
 && printf '#!/bin/sh\nexec java -jar /opt/latchkey/latchkey-client.jar "$@"\n' >/usr/local/bin/latchkey \
 && chmod 0755 /usr/local/bin/latchkey
# OCI labels; `docker build --build-arg VERSION=... --build-arg REVISION=$(git rev-parse HEAD)`.
ARG VERSION=0.1.0
ARG REVISION=""
LABEL org.opencontainers.image.title="Latchkey" \
      org.opencontainers.image.description="Distributed locks, leases and config keys on a Java port of etcd-io/raft" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
WORKDIR /opt/latchkey
COPY --from=build /build/target/latchkey.jar /build/target/latchkey-client.jar ./
COPY --from=build /build/target/libs ./libs
# The one membership script (join, promote-loop, scale-down): the plain manifests in k8s/ run it
# from here; the chart mounts its own copy of the same file over it.
COPY helm/latchkey/files/membership.sh ./membership/membership.sh
ENV SERVER_HOST=0.0.0.0 \
    LATCHKEY_DATA_DIR=/var/lib/latchkey \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
VOLUME /var/lib/latchkey
# 8080: client API, health, metrics, membership API. 7080: Raft peers over HTTP/2.
EXPOSE 8080 7080
USER 10001:10001
ENTRYPOINT ["java", "-jar", "/opt/latchkey/latchkey.jar"]
