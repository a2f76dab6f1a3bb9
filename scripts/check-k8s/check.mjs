// Checks rendered Kubernetes manifests against the schemas of kubernetes-models and against the
// application's configuration contract. Usage: node check.mjs <validator-dir> <scenario>=<file>...
// Prints one line per check and, last, "counts <passed> <failed>" for check-k8s.sh to add up.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [validatorDir, ...targets] = process.argv.slice(2);
const modules = join(validatorDir, 'node_modules');
const { parseAllDocuments } = await import(pathToFileURL(join(modules, 'yaml/dist/index.js')));

// The configuration contract: the keys the manifests may set (as MicroProfile Config env vars)
// and the ports they must agree with. NodeSettings reads every key the node has, with its
// default; microprofile-config.properties sets the server's own keys and overrides defaults.
const SETTINGS = 'src/main/java/io/latchkey/config/NodeSettings.java';
const PROPERTIES = 'src/main/resources/META-INF/microprofile-config.properties';
const config = new Map();
for (const [, key, fallback] of readFileSync(SETTINGS, 'utf8').matchAll(/\(config, "([^"]+)"(?:, "?([^")]*)"?)?\)/g)) {
  config.set(key, fallback);
}
// Keys NodeSettings names through constants (latchkey.peer.tls.*), read with no default.
for (const [, key] of readFileSync(SETTINGS, 'utf8').matchAll(/static final String [A-Z_]+ = "(latchkey\.[^"]+)";/g)) {
  if (!config.has(key)) config.set(key, undefined);
}
const properties = new Map();
for (const line of readFileSync(PROPERTIES, 'utf8').split('\n')) {
  const match = line.match(/^\s*([^#!\s][^=:\s]*)\s*[=:]\s*(.*?)\s*$/);
  if (match) {
    config.set(match[1], match[2]);
    properties.set(match[1], match[2]);
  }
}
// The state bounds are read where the state machine is built, the API limits by the filter
// that holds them, the log format by the log formatter, not in NodeSettings.
const STATE_SETTINGS = 'src/main/java/io/latchkey/api/StateMachineProducer.java';
const API_LIMITS = 'src/main/java/io/latchkey/api/RequestLimits.java';
const LOG_SETTINGS = 'src/main/java/io/latchkey/logging/LogFormatter.java';
for (const file of [STATE_SETTINGS, API_LIMITS, LOG_SETTINGS]) {
  for (const [, key] of readFileSync(file, 'utf8').matchAll(/"(latchkey\.[a-z0-9.-]+)"/g)) {
    if (!config.has(key)) config.set(key, undefined);
  }
}
// Client authentication: latchkey.auth.* and MicroProfile JWT's mp.jwt.verify.* keys.
const AUTH_SETTINGS = 'src/main/java/io/latchkey/security/AuthSettings.java';
for (const [, key] of readFileSync(AUTH_SETTINGS, 'utf8').matchAll(/"((?:latchkey\.auth|mp\.jwt)\.[a-z0-9.-]+)"/g)) {
  if (!config.has(key)) config.set(key, undefined);
}
const configSource = `${SETTINGS}, ${STATE_SETTINGS}, ${API_LIMITS}, ${LOG_SETTINGS}, ${AUTH_SETTINGS} and ${PROPERTIES}`;
const envName = (key) => key.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
const knownEnv = new Map([...config.keys()].map((key) => [envName(key), key]));
const clientPort = Number(config.get('server.port'));
const peerPort = Number(config.get('latchkey.peer-port'));
// Required in every container of the StatefulSet mode, whatever the values.
// The JDBC URL because the image leaves out the embedded PostgreSQL (-Pcontainer). A node with
// peers refuses to start without a way to authenticate them: the peer secret, or the TLS files.
const REQUIRED_ENV = ['SERVER_HOST', 'SERVER_PORT', 'LATCHKEY_PEER_PORT', 'LATCHKEY_DATA_DIR',
  'LATCHKEY_K8S_POD_NAME', 'LATCHKEY_K8S_NAMESPACE', 'LATCHKEY_K8S_SERVICE_NAME',
  'LATCHKEY_K8S_REPLICAS', 'LATCHKEY_K8S_CLUSTER_DOMAIN', 'LATCHKEY_STORAGE_JDBC_URL',
  'LATCHKEY_STORAGE_SCHEMA', 'LATCHKEY_STORAGE_USER', 'LATCHKEY_STORAGE_PASSWORD'];
// Peer TLS: the switch, and the PEM files with the Secret key each must come from.
const TLS_SWITCH = 'latchkey.peer.tls.enabled';
const TLS_FILES = { 'latchkey.peer.tls.cert-chain': 'tls.crt', 'latchkey.peer.tls.private-key': 'tls.key',
  'latchkey.peer.tls.trusted-ca': 'ca.crt' };
// The peer socket's TLS (the server side) must follow the keys NodeSettings reads (the client
// side); PeerTlsConfigSource maps them, from the switch the manifests set as an env var.
const TLS_SOURCE = 'src/main/java/io/latchkey/config/PeerTlsConfigSource.java';
const tlsSource = readFileSync(TLS_SOURCE, 'utf8');
const SOCKET_TLS = {
  'server.sockets.0.tls.private-key.pem.cert-chain.resource.path': 'latchkey.peer.tls.cert-chain',
  'server.sockets.0.tls.private-key.pem.key.resource.path': 'latchkey.peer.tls.private-key',
  'server.sockets.0.tls.trust.pem.certificates.resource.path': 'latchkey.peer.tls.trusted-ca',
};
// Per-pod settings that membership.sh hands the node of a joining pod through the node.env file.
const JOIN_ENV = ['LATCHKEY_NODE_ID', 'LATCHKEY_CLUSTER_ID'];
const MEMBERSHIP_SCRIPT = readFileSync('helm/latchkey/files/membership.sh', 'utf8');
const IMAGE_HAS_MEMBERSHIP_SCRIPT = /^WORKDIR \/opt\/latchkey$[\s\S]*^COPY helm\/latchkey\/files\/membership\.sh \.\/membership\/membership\.sh$/m
  .test(readFileSync('Dockerfile', 'utf8'))
  && readFileSync('.dockerignore', 'utf8').split('\n').includes('!helm/latchkey/files/membership.sh');
// The image's entrypoint, which the node's container runs after sourcing node.env.
const ENTRYPOINT = JSON.parse(readFileSync('Dockerfile', 'utf8').match(/^ENTRYPOINT\s+(\[.*\])\s*$/m)?.[1] ?? '[]');

// What each rendering must show; secrets listed here are created by the user, not rendered.
// tls: 'cert-manager' (the chart renders a Certificate) or 'secret' (a user-made Secret).
const SCENARIOS = {
  'helm-default': { replicas: 3, db: 'sidecar', membership: true, hook: true,
    antiAffinity: 'soft', networkPolicy: false, serviceMonitor: false, userSecrets: [] },
  'helm-tls': { replicas: 3, db: 'sidecar', membership: true, hook: true,
    antiAffinity: 'soft', networkPolicy: true, serviceMonitor: false, userSecrets: [],
    tls: 'cert-manager', namespace: 'latchkey' },
  'k8s-tls': { replicas: 3, db: 'sidecar', membership: true, hook: false,
    antiAffinity: 'soft', networkPolicy: true, serviceMonitor: false,
    userSecrets: ['latchkey-postgres', 'latchkey-peer-tls'], tls: 'secret' },
  'k8s-secure': { replicas: 3, db: 'sidecar', membership: true, hook: false,
    antiAffinity: 'soft', networkPolicy: true, serviceMonitor: false,
    userSecrets: ['latchkey-postgres', 'latchkey-peer-tls', 'latchkey-jwt-key', 'latchkey-admin-token', 'latchkey-client-tls'],
    tls: 'secret', auth: true, clientTls: true },
  'helm-custom': { replicas: 5, db: 'external', membership: true, hook: true,
    antiAffinity: 'soft', networkPolicy: true, serviceMonitor: true,
    jdbcUrl: 'jdbc:postgresql://pg.example:5432/latchkey', userSecrets: ['coord-db'], electionTicks: 30,
    leaseMarginTicks: 4, podExtras: true },
  'helm-auth': { replicas: 3, db: 'sidecar', membership: true, hook: true,
    antiAffinity: 'soft', networkPolicy: false, serviceMonitor: false,
    userSecrets: ['jwt-key', 'latchkey-admin-token', 'latchkey-client-tls'], auth: true, clientTls: true },
  'helm-manual': { replicas: 1, db: 'sidecar', membership: false, hook: false,
    antiAffinity: 'hard', networkPolicy: false, serviceMonitor: false, userSecrets: ['my-peer-secret'] },
  'k8s': { replicas: 3, db: 'sidecar', membership: true, hook: false,
    antiAffinity: 'soft', networkPolicy: true, serviceMonitor: false,
    userSecrets: ['latchkey-peer', 'latchkey-postgres'] },
};

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${!ok && detail ? `: ${detail}` : ''}`);
}
const subset = (small = {}, big = {}) =>
  Object.keys(small).length > 0 && Object.entries(small).every(([k, v]) => big[k] === v);

async function validateSchema(doc) {
  const path = doc.apiVersion.includes('/') ? doc.apiVersion : `v1`;
  const file = join(modules, 'kubernetes-models', path, `${doc.kind}.js`);
  if (!existsSync(file)) return `unknown kind ${doc.apiVersion}/${doc.kind}`;
  const model = (await import(pathToFileURL(file)))[doc.kind];
  try {
    new model(doc).validate();
    return '';
  } catch (error) {
    return error.message.replace(/\s+/g, ' ').slice(0, 300);
  }
}

// ServiceMonitor is a Prometheus Operator CRD that kubernetes-models does not ship.
function validateServiceMonitor(doc) {
  const spec = doc.spec ?? {};
  if (doc.apiVersion !== 'monitoring.coreos.com/v1') return `apiVersion ${doc.apiVersion}`;
  if (!spec.selector?.matchLabels) return 'spec.selector.matchLabels missing';
  if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) return 'no endpoints';
  for (const endpoint of spec.endpoints) {
    if (typeof endpoint.port !== 'string') return 'endpoint.port must name a Service port';
    if (endpoint.path !== undefined && !endpoint.path.startsWith('/')) return 'bad endpoint.path';
    if (endpoint.interval !== undefined && !/^[0-9]+(ms|s|m|h)$/.test(endpoint.interval)) return 'bad interval';
  }
  return '';
}

// PrometheusRule is a Prometheus Operator CRD that kubernetes-models does not ship.
function validatePrometheusRule(doc) {
  if (doc.apiVersion !== 'monitoring.coreos.com/v1') return `apiVersion ${doc.apiVersion}`;
  const groups = doc.spec?.groups;
  if (!Array.isArray(groups) || groups.length === 0) return 'no groups';
  for (const group of groups) {
    if (!group.name || !Array.isArray(group.rules) || group.rules.length === 0) return 'a group without name or rules';
    for (const rule of group.rules) {
      if (typeof rule.alert !== 'string' || typeof rule.expr !== 'string' || !rule.expr.trim()) return 'a rule without alert or expr';
      if (rule.for !== undefined && !/^[0-9]+(ms|s|m|h)$/.test(rule.for)) return `bad for in ${rule.alert}`;
      if (!rule.labels?.severity || !rule.annotations?.summary) return `${rule.alert} without severity or summary`;
    }
  }
  return '';
}

// Certificate is a cert-manager CRD that kubernetes-models does not ship.
function validateCertificate(doc) {
  const spec = doc.spec ?? {};
  if (doc.apiVersion !== 'cert-manager.io/v1') return `apiVersion ${doc.apiVersion}`;
  if (typeof spec.secretName !== 'string' || !spec.secretName) return 'spec.secretName missing';
  if (!spec.issuerRef?.name) return 'spec.issuerRef.name missing';
  if (!Array.isArray(spec.dnsNames) || spec.dnsNames.length === 0) return 'no dnsNames';
  for (const field of ['duration', 'renewBefore']) {
    if (spec[field] !== undefined && !/^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$/.test(spec[field])) return `bad ${field}`;
  }
  return '';
}

function envValue(env, name) { return env.find((e) => e.name === name); }

// Resolves a container port reference (name or number) to a number.
function portNumber(container, ref) {
  if (typeof ref === 'number') return ref;
  return container.ports?.find((p) => p.name === ref)?.containerPort;
}

async function checkScenario(scenarioName, file) {
  const s = SCENARIOS[scenarioName];
  const at = (name) => `${scenarioName}: ${name}`;
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const objects = [];
  for (const doc of docs) {
    const errors = doc.errors.map((e) => e.message).join('; ');
    const object = doc.toJS();
    if (errors) { check(at('YAML parses'), false, errors); continue; }
    if (object === null) continue;
    const label = `${object.kind}/${object.metadata?.name}`;
    check(at(`${label} has apiVersion, kind, metadata.name`),
      Boolean(object.apiVersion && object.kind && object.metadata?.name));
    const problem = object.kind === 'ServiceMonitor' ? validateServiceMonitor(object)
      : object.kind === 'PrometheusRule' ? validatePrometheusRule(object)
      : object.kind === 'Certificate' ? validateCertificate(object) : await validateSchema(object);
    check(at(`${label} is a valid ${object.apiVersion} ${object.kind}`), problem === '', problem);
    objects.push(object);
  }
  const ofKind = (kind) => objects.filter((o) => o.kind === kind);
  const byName = (kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  const statefulSets = ofKind('StatefulSet');
  check(at('exactly one StatefulSet'), statefulSets.length === 1, `${statefulSets.length}`);
  const sts = statefulSets[0];
  if (!sts) return;
  const pod = sts.spec.template;
  const podLabels = pod.metadata.labels;
  check(at(`replicas is ${s.replicas}`), sts.spec.replicas === s.replicas, `${sts.spec.replicas}`);
  check(at('podManagementPolicy is Parallel'), sts.spec.podManagementPolicy === 'Parallel');
  check(at('StatefulSet selector matches its pod labels'), subset(sts.spec.selector.matchLabels, podLabels));
  check(at('volumes of scaled-away pods are deleted with them'),
    sts.spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete');

  const main = pod.spec.containers.find((c) => c.name === 'latchkey');
  check(at('container latchkey exists'), Boolean(main));
  if (!main) return;
  const env = main.env ?? [];
  check(at(`container port http is server.port ${clientPort}`), portNumber(main, 'http') === clientPort);
  check(at(`container port peer is latchkey.peer-port ${peerPort}`), portNumber(main, 'peer') === peerPort);

  // Probes on the MP Health endpoints of the client port.
  for (const [probe, path] of [['startupProbe', '/health/started'], ['livenessProbe', '/health/live'],
    ['readinessProbe', '/health/ready']]) {
    const get = main[probe]?.httpGet;
    check(at(`${probe} GETs ${path} on the client port`),
      get?.path === path && portNumber(main, get.port) === clientPort, JSON.stringify(get));
    check(at(`${probe} speaks ${s.clientTls ? 'HTTPS' : 'HTTP'}`), (get?.scheme ?? 'HTTP') === (s.clientTls ? 'HTTPS' : 'HTTP'));
  }

  // Client TLS: Helidon's server.tls keys as system properties, from a Secret mounted read-only.
  const mountAt = (container, path) => container?.volumeMounts?.find((m) => m.mountPath === path);
  const javaOptions = envValue(env, 'JAVA_TOOL_OPTIONS')?.value ?? '';
  const tlsProperty = (key) => javaOptions.match(new RegExp(`-D${key.replace(/\./g, '\\.')}=(\\S+)`))?.[1];
  if (s.clientTls) {
    check(at('server.tls.enabled=true'), tlsProperty('server.tls.enabled') === 'true', javaOptions);
    for (const [key, secretKey] of [['server.tls.private-key.pem.cert-chain.resource.path', 'tls.crt'],
      ['server.tls.private-key.pem.key.resource.path', 'tls.key']]) {
      const path = tlsProperty(key) ?? '';
      const dir = path.slice(0, path.lastIndexOf('/'));
      const mount = mountAt(main, dir);
      const volume = pod.spec.volumes?.find((v) => v.name === mount?.name);
      check(at(`${key} is ${secretKey} of a Secret mounted read-only`), Boolean(mount?.readOnly) &&
        volume?.secret?.items?.some((i) => i.key === secretKey && `${dir}/${i.path}` === path), path);
    }
  } else {
    check(at('no client TLS settings'), !javaOptions.includes('-Dserver.tls.'));
  }
  // Client authentication: the switch, the issuer, and a key location the node can read.
  if (s.auth) {
    check(at('LATCHKEY_AUTH_ENABLED is true'), envValue(env, 'LATCHKEY_AUTH_ENABLED')?.value === 'true');
    check(at('MP_JWT_VERIFY_ISSUER is set'), Boolean(envValue(env, 'MP_JWT_VERIFY_ISSUER')?.value));
    const location = envValue(env, 'MP_JWT_VERIFY_PUBLICKEY_LOCATION')?.value ?? '';
    const mount = mountAt(main, location.slice(0, location.lastIndexOf('/')));
    check(at('the token verification key is a URL or a mounted Secret'),
      /^https?:\/\//.test(location) || Boolean(mount?.readOnly), location);
    check(at('health stays open for the probes'),
      (envValue(env, 'LATCHKEY_AUTH_OPEN_PATHS')?.value ?? '').split(',').includes('/health'));
  } else {
    check(at('no client authentication settings'), !envValue(env, 'LATCHKEY_AUTH_ENABLED'));
  }

  // Env names are config keys by MicroProfile Config's mapping; other names must be helpers
  // consumed through $(NAME) by another variable, or the JVM's own.
  const referenced = env.map((e) => e.value ?? '').join(' ');
  for (const { name } of env) {
    const ok = knownEnv.has(name) || name === 'JAVA_TOOL_OPTIONS' || referenced.includes(`$(${name})`);
    check(at(`env ${name} maps to a config key${knownEnv.has(name) ? ` (${knownEnv.get(name)})` : ''}`), ok);
  }
  for (const name of REQUIRED_ENV) check(at(`env ${name} is set`), Boolean(envValue(env, name)));
  const literal = (name) => envValue(env, name)?.value;
  check(at('SERVER_HOST is 0.0.0.0'), literal('SERVER_HOST') === '0.0.0.0');
  check(at('SERVER_PORT equals the http container port'), Number(literal('SERVER_PORT')) === portNumber(main, 'http'));
  check(at('LATCHKEY_PEER_PORT equals the peer container port'),
    Number(literal('LATCHKEY_PEER_PORT')) === portNumber(main, 'peer'));
  // Raft timing: the chart passes its values; the plain manifests leave the node's defaults.
  const electionTicks = literal('LATCHKEY_RAFT_ELECTION_TICKS') ?? config.get('latchkey.raft.election-ticks');
  check(at(`election after ${s.electionTicks ?? 10} ticks`), Number(electionTicks) === (s.electionTicks ?? 10), electionTicks);
  const leaseMargin = literal('LATCHKEY_RAFT_LEASE_MARGIN_TICKS') ?? config.get('latchkey.raft.lease-margin-ticks');
  check(at(`lease margin ${s.leaseMarginTicks ?? 0} ticks (0: the node's default)`),
    Number(leaseMargin) === (s.leaseMarginTicks ?? 0), leaseMargin);
  check(at('LATCHKEY_K8S_POD_NAME comes from metadata.name'),
    envValue(env, 'LATCHKEY_K8S_POD_NAME')?.valueFrom?.fieldRef?.fieldPath === 'metadata.name');
  check(at('LATCHKEY_K8S_NAMESPACE comes from metadata.namespace'),
    envValue(env, 'LATCHKEY_K8S_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace');

  // Every secretKeyRef and configMapKeyRef resolves to a rendered key or a user-made Secret.
  const resolveRef = (entry) => {
    const from = entry.valueFrom ?? {};
    if (from.secretKeyRef) {
      const secret = byName('Secret', from.secretKeyRef.name);
      if (secret) return (secret.data ?? secret.stringData ?? {})[from.secretKeyRef.key] !== undefined ? 'ok' : 'missing key';
      return s.userSecrets.includes(from.secretKeyRef.name) ? 'ok' : `no Secret ${from.secretKeyRef.name}`;
    }
    if (from.configMapKeyRef) {
      const map = byName('ConfigMap', from.configMapKeyRef.name);
      return map?.data?.[from.configMapKeyRef.key] !== undefined ? 'ok' : `no ConfigMap key ${from.configMapKeyRef.key}`;
    }
    return 'ok';
  };
  const allContainers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  for (const container of allContainers) {
    for (const entry of container.env ?? []) {
      const result = resolveRef(entry);
      check(at(`${container.name} env ${entry.name} reference resolves`), result === 'ok', result);
    }
  }
  const bootstrap = envValue(env, 'LATCHKEY_K8S_REPLICAS')?.valueFrom?.configMapKeyRef;
  const bootstrapValue = bootstrap ? byName('ConfigMap', bootstrap.name)?.data?.[bootstrap.key] : literal('LATCHKEY_K8S_REPLICAS');
  check(at(`LATCHKEY_K8S_REPLICAS is the initial member count ${s.replicas}`), Number(bootstrapValue) === s.replicas,
    `${bootstrapValue}`);

  // The data directory is a per-pod PVC.
  const mountOf = (container, path) => container?.volumeMounts?.find((m) => m.mountPath === path);
  const claims = (sts.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name);
  const dataMount = mountOf(main, literal('LATCHKEY_DATA_DIR'));
  check(at('LATCHKEY_DATA_DIR is mounted from a volumeClaimTemplate'), Boolean(dataMount) && claims.includes(dataMount.name));
  const tmpMount = mountOf(main, '/tmp');
  check(at('/tmp is a writable emptyDir'),
    Boolean(tmpMount) && Boolean(pod.spec.volumes?.find((v) => v.name === tmpMount.name)?.emptyDir));

  // Security.
  check(at('pod runs as non-root'), pod.spec.securityContext?.runAsNonRoot === true);
  check(at('pod has no service account token'), pod.spec.automountServiceAccountToken === false);
  for (const container of allContainers) {
    const sc = container.securityContext ?? {};
    check(at(`${container.name} has a read-only root filesystem and no privilege escalation`),
      sc.readOnlyRootFilesystem === true && sc.allowPrivilegeEscalation === false);
    check(at(`${container.name} has resources`), Boolean(container.resources?.requests));
  }

  // The pod extras of values-custom.yaml reach the pod, merged into the chart's defaults.
  if (s.podExtras) {
    check(at('priorityClassName from values'), pod.spec.priorityClassName === 'latchkey-critical');
    check(at('topologySpreadConstraints from values, with the release\'s pod labels as selector'),
      (pod.spec.topologySpreadConstraints ?? []).some((t) => t.topologyKey === 'topology.kubernetes.io/zone'
        && subset(t.labelSelector?.matchLabels, podLabels)));
    check(at('pod securityContext from values merged into the defaults'),
      pod.spec.securityContext?.fsGroupChangePolicy === 'OnRootMismatch' && pod.spec.securityContext?.runAsNonRoot === true);
    check(at('container securityContext from values merged into the defaults'), allContainers.every((c) =>
      c.securityContext?.runAsUser === 10002 && c.securityContext?.readOnlyRootFilesystem === true));
    check(at('extraVolumes and extraVolumeMounts from values'),
      Boolean(pod.spec.volumes?.find((v) => v.name === 'ca-bundle')?.configMap)
      && Boolean(mountOf(main, '/etc/ssl/latchkey')?.readOnly));
    check(at('extraEnv from values'), envValue(env, 'SERVER_MAX_TCP_CONNECTIONS')?.value === '2048');
    check(at('logFormat from values'), envValue(env, 'LATCHKEY_LOG_FORMAT')?.value === 'json');
  }
  // `helm test`: a pod that acquires a real lock, writes and reads a key with it, and releases it.
  if (scenarioName.startsWith('helm-')) {
    const tests = ofKind('Pod').filter((p) => p.metadata.annotations?.['helm.sh/hook'] === 'test');
    const script = (tests[0]?.spec.containers ?? []).flatMap((c) => c.command ?? []).join(' ');
    check(at('helm test acquires, uses and releases a lock and reads a key'), tests.length === 1
      && /-X POST "\$api\/v1\/locks\//.test(script) && /-X DELETE "\$api\/v1\/locks\//.test(script)
      && /curl -fsS "\$api\/v1\/config\//.test(script), script);
  }

  // Services: headless for peers (not-ready addresses published), client for the API.
  const headless = byName('Service', sts.spec.serviceName);
  check(at('serviceName names a headless Service'), headless?.spec?.clusterIP === 'None');
  if (headless) {
    check(at('headless Service publishes not-ready addresses'), headless.spec.publishNotReadyAddresses === true);
    check(at('headless Service selects the pods'), subset(headless.spec.selector, podLabels));
    check(at('headless Service exposes the peer port'), headless.spec.ports.some((p) =>
      p.port === peerPort && portNumber(main, p.targetPort ?? p.port) === peerPort));
    check(at('LATCHKEY_K8S_SERVICE_NAME names the headless Service'),
      literal('LATCHKEY_K8S_SERVICE_NAME') === headless.metadata.name);
  }
  const clients = ofKind('Service').filter((svc) => svc.spec.clusterIP !== 'None' && subset(svc.spec.selector, podLabels));
  check(at('one client Service selects the pods'), clients.length === 1, `${clients.length}`);
  const client = clients[0];
  if (client) {
    check(at('client Service exposes the http port'), client.spec.ports.some((p) =>
      p.port === clientPort && portNumber(main, p.targetPort ?? p.port) === clientPort));
  }

  const pdbs = ofKind('PodDisruptionBudget');
  check(at('PodDisruptionBudget with maxUnavailable 1 selects the pods'), pdbs.length === 1 &&
    pdbs[0].spec.maxUnavailable === 1 && subset(pdbs[0].spec.selector.matchLabels, podLabels));

  const antiAffinity = pod.spec.affinity?.podAntiAffinity ?? {};
  const terms = s.antiAffinity === 'soft'
    ? (antiAffinity.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => t.podAffinityTerm)
    : antiAffinity.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  check(at(`${s.antiAffinity} pod anti-affinity per node`), terms.some((t) =>
    t.topologyKey === 'kubernetes.io/hostname' && subset(t.labelSelector?.matchLabels, podLabels)));

  // Storage.
  const jdbc = literal('LATCHKEY_STORAGE_JDBC_URL');
  const postgres = pod.spec.containers.find((c) => c.name === 'postgres');
  if (s.db === 'sidecar') {
    check(at('sidecar: postgres container with its own PVC'), Boolean(postgres) &&
      postgres.volumeMounts.some((m) => claims.includes(m.name) && m.name !== dataMount?.name));
    check(at('sidecar: JDBC URL is localhost'), /^jdbc:postgresql:\/\/localhost:5432\//.test(jdbc ?? ''), jdbc);
  } else {
    check(at('external: no postgres container'), !postgres);
    check(at('external: JDBC URL from values'), jdbc === s.jdbcUrl, jdbc);
    check(at('external: one schema per replica from the pod index'),
      (literal('LATCHKEY_STORAGE_SCHEMA') ?? '').endsWith('$(POD_INDEX)') &&
      envValue(env, 'POD_INDEX')?.valueFrom?.fieldRef?.fieldPath === "metadata.labels['apps.kubernetes.io/pod-index']");
  }

  // Peer authentication: the shared secret, never in the manifest itself, or mutual TLS.
  const headlessPeerPort = headless?.spec.ports.find((p) => p.port === peerPort);
  if (!s.tls) {
    check(at('shared peer secret from a Secret'), Boolean(envValue(env, 'LATCHKEY_PEER_SECRET')?.valueFrom?.secretKeyRef));
    check(at('no peer TLS settings'), env.every((e) => !e.name.startsWith('LATCHKEY_PEER_TLS_')));
    check(at('headless peer port speaks h2c'), headlessPeerPort?.appProtocol === 'kubernetes.io/h2c');
  } else {
    check(at('certificates alone authenticate peers: no shared secret'), !envValue(env, 'LATCHKEY_PEER_SECRET'));
    check(at(`${envName(TLS_SWITCH)} is true`), literal(envName(TLS_SWITCH)) === 'true');
    check(at('headless peer port speaks https'), headlessPeerPort?.appProtocol === 'https');
    const secretNames = new Set();
    for (const [key, secretKey] of Object.entries(TLS_FILES)) {
      const path = literal(envName(key)) ?? '';
      const dir = path.slice(0, path.lastIndexOf('/'));
      const mount = mountOf(main, dir);
      const volume = pod.spec.volumes?.find((v) => v.name === mount?.name);
      const item = volume?.secret?.items?.find((i) => `${dir}/${i.path}` === path);
      check(at(`${envName(key)} is ${secretKey} of a Secret mounted read-only`), Boolean(mount?.readOnly) &&
        !mount.subPath && item?.key === secretKey, `${path} -> ${JSON.stringify(volume ?? null)}`);
      if (volume?.secret) secretNames.add(volume.secret.secretName);
    }
    check(at('TLS files come from one Secret, readable by the pod group only'), secretNames.size === 1 &&
      pod.spec.volumes.filter((v) => secretNames.has(v.secret?.secretName)).every((v) => v.secret.defaultMode === 0o440),
      [...secretNames].join(' '));
    const [tlsSecret] = [...secretNames];
    const certificates = ofKind('Certificate');
    if (s.tls === 'cert-manager') {
      const certificate = certificates.find((c) => c.spec.secretName === tlsSecret);
      const domain = `${literal('LATCHKEY_K8S_SERVICE_NAME')}.${s.namespace}.svc.${literal('LATCHKEY_K8S_CLUSTER_DOMAIN')}`;
      check(at('a cert-manager Certificate writes the mounted Secret'), Boolean(certificate), tlsSecret);
      check(at(`the Certificate names every member (*.${domain})`),
        certificate?.spec.dnsNames.includes(`*.${domain}`), JSON.stringify(certificate?.spec.dnsNames));
      check(at('the Certificate is for server and client auth'),
        ['server auth', 'client auth'].every((u) => certificate?.spec.usages?.includes(u)));
      check(at('the Certificate key is PKCS#8 (the node reads PKCS#8 and PKCS#1)'),
        ['PKCS8', 'PKCS1'].includes(certificate?.spec.privateKey?.encoding));
    } else {
      check(at('no Certificate'), certificates.length === 0);
      check(at(`TLS Secret ${tlsSecret} is made by the user`), s.userSecrets.includes(tlsSecret));
    }
  }
  // Set for the whole StatefulSet, a node id would be every pod's id.
  for (const name of JOIN_ENV) check(at(`no pod-wide ${name}`), !envValue(env, name));

  // Membership automation: its containers agree with the node's wiring.
  const helpers = allContainers.filter((c) => c.name === 'join' || c.name === 'member-agent');
  const hooks = ofKind('Job').filter((job) => (job.metadata.annotations?.['helm.sh/hook'] ?? '').includes('pre-upgrade'));
  if (s.membership) {
    check(at('init container join runs before the node'),
      (pod.spec.initContainers ?? []).some((c) => c.name === 'join' && c.command.join(' ').endsWith('membership.sh join')));
    check(at('sidecar member-agent promotes learners'),
      pod.spec.containers.some((c) => c.name === 'member-agent' && c.command.join(' ').endsWith('membership.sh promote-loop')));
    for (const container of [...helpers, ...hooks.map((job) => job.spec.template.spec.containers[0])]) {
      const helperEnv = container.env ?? [];
      const value = (name) => envValue(helperEnv, name)?.value;
      check(at(`${container.name}: LATCHKEY_*/SERVER_* env are config keys`), helperEnv.every((e) =>
        !/^(LATCHKEY|SERVER)_/.test(e.name) || knownEnv.has(e.name)));
      check(at(`${container.name}: ports and service names agree with the node`),
        value('SERVER_PORT') === literal('SERVER_PORT') && value('LATCHKEY_PEER_PORT') === literal('LATCHKEY_PEER_PORT') &&
        value('LATCHKEY_K8S_SERVICE_NAME') === literal('LATCHKEY_K8S_SERVICE_NAME') &&
        value('MEMBERSHIP_STATEFULSET') === sts.metadata.name && value('MEMBERSHIP_CLIENT_SERVICE') === client?.metadata.name);
      // membership.sh derives the members' peer URLs; https:// under TLS, as the node does.
      check(at(`${container.name}: peer TLS switch agrees with the node`),
        (value(envName(TLS_SWITCH)) ?? 'false') === (literal(envName(TLS_SWITCH)) ?? 'false'));
      // ... and their client URLs, https:// with the client port's TLS; as an admin with auth on.
      check(at(`${container.name}: client scheme agrees with the node`),
        (value('MEMBERSHIP_CLIENT_SCHEME') ?? 'http') === (s.clientTls ? 'https' : 'http'));
      const mounted = (file) => Boolean(file) && (container.volumeMounts ?? [])
        .some((m) => m.readOnly && file.startsWith(`${m.mountPath}/`));
      check(at(`${container.name}: ${s.clientTls ? 'trusts a mounted CA' : 'no CA file'}`),
        s.clientTls ? mounted(value('MEMBERSHIP_CA_FILE')) : !value('MEMBERSHIP_CA_FILE'));
      check(at(`${container.name}: ${s.auth ? 'sends a mounted admin token' : 'no token'}`),
        s.auth ? mounted(value('MEMBERSHIP_TOKEN_FILE')) : !value('MEMBERSHIP_TOKEN_FILE'));
    }
    const scripts = pod.spec.volumes?.find((v) => v.name === 'membership')?.configMap?.name;
    if (scripts) {
      check(at('membership script is in the mounted ConfigMap'), Boolean(byName('ConfigMap', scripts)?.data?.['membership.sh']));
    } else {
      // No copy of the script beside the manifests: the image's, put there from the chart's file.
      check(at('membership script comes from the image, copied from the chart\'s file'), IMAGE_HAS_MEMBERSHIP_SCRIPT);
    }

    // join reads node.identity where the node keeps it and writes node.env where the node's
    // container sources it before running the image's entrypoint.
    const join = (pod.spec.initContainers ?? []).find((c) => c.name === 'join');
    const joinEnv = (name) => envValue(join?.env ?? [], name)?.value;
    check(at('join reads the data directory of the node'), joinEnv('LATCHKEY_DATA_DIR') === literal('LATCHKEY_DATA_DIR') &&
      mountOf(join, literal('LATCHKEY_DATA_DIR'))?.name === dataMount?.name);
    const nodeEnv = joinEnv('MEMBERSHIP_NODE_ENV') ?? '';
    const nodeEnvDir = nodeEnv.slice(0, nodeEnv.lastIndexOf('/'));
    const joinMount = mountOf(join, nodeEnvDir);
    const mainMount = mountOf(main, nodeEnvDir);
    check(at('node.env is on an emptyDir that join writes and the node mounts'), Boolean(joinMount) && !joinMount.readOnly &&
      mainMount?.name === joinMount.name && Boolean(pod.spec.volumes?.find((v) => v.name === joinMount.name)?.emptyDir),
      nodeEnv);
    check(at('the node sources node.env, then runs the image entrypoint'),
      main.command?.length === 4 + ENTRYPOINT.length && main.command[0] === '/bin/sh' && main.command[1] === '-c' &&
      main.command[2].includes(`set -a && . ${nodeEnv} &&`) && main.command[2].endsWith('exec "$@"') &&
      ENTRYPOINT.length > 0 && ENTRYPOINT.every((arg, i) => main.command[4 + i] === arg), JSON.stringify(main.command));
  } else {
    check(at('no membership containers when automation is off'), helpers.length === 0);
    check(at('the node runs the image entrypoint when automation is off'), main.command === undefined && main.args === undefined);
  }
  if (s.hook) {
    const job = hooks[0]?.spec.template.spec.containers[0];
    check(at('pre-upgrade hook removes members down to replicas'), hooks.length === 1 &&
      job.command.at(-1) === 'scale-down' && envValue(job.env, 'MEMBERSHIP_TARGET_REPLICAS')?.value === String(s.replicas));
  } else {
    check(at('no scale-down hook'), hooks.length === 0);
  }

  // NetworkPolicy: the peer port only from other Latchkey pods.
  const policies = ofKind('NetworkPolicy');
  if (s.networkPolicy) {
    const policy = policies[0];
    const opensPeer = (rule) => (rule.ports ?? []).some((p) => portNumber(main, p.port) === peerPort) || !rule.ports;
    const peerRules = (policy?.spec.ingress ?? []).filter(opensPeer);
    check(at('NetworkPolicy selects the pods'), subset(policy?.spec.podSelector?.matchLabels, podLabels));
    check(at('NetworkPolicy opens the peer port only to Latchkey pods'), peerRules.length > 0 && peerRules.every((rule) =>
      (rule.from ?? []).length > 0 && rule.from.every((peer) =>
        !peer.ipBlock && !peer.namespaceSelector && subset(peer.podSelector?.matchLabels, podLabels))));
    check(at('NetworkPolicy opens the client port'), (policy?.spec.ingress ?? []).some((rule) =>
      (rule.ports ?? []).some((p) => portNumber(main, p.port) === clientPort)));
  } else {
    check(at('no NetworkPolicy'), policies.length === 0);
  }

  const monitors = ofKind('ServiceMonitor');
  if (s.serviceMonitor) {
    const spec = monitors[0]?.spec;
    const scraped = ofKind('Service').filter((svc) => subset(spec?.selector.matchLabels, svc.metadata.labels));
    check(at('ServiceMonitor selects only the client Service'), scraped.length === 1 && scraped[0] === client);
    check(at('ServiceMonitor scrapes /metrics on the client port'), (spec?.endpoints ?? []).every((endpoint) =>
      endpoint.path === '/metrics' && client?.spec.ports.some((p) => p.name === endpoint.port && p.port === clientPort)));
  } else {
    check(at('no ServiceMonitor'), monitors.length === 0);
  }

  // Alerts and the dashboard, behind values: the rules name the alerts the chart documents and
  // read metrics the node exports (each one checked on a real node's /metrics by MetricsApiTest);
  // the dashboard is JSON Grafana can load.
  const rules = ofKind('PrometheusRule');
  const dashboards = ofKind('ConfigMap').filter((c) => c.metadata.name.endsWith('-dashboard'));
  if (s.serviceMonitor) {
    const alerts = (rules[0]?.spec.groups ?? []).flatMap((g) => g.rules.map((r) => r.alert));
    check(at('PrometheusRule alerts on no leader, leader changes, fsync latency, the quota alarm, a member down, apply lag'),
      ['LatchkeyNoLeader', 'LatchkeyFrequentLeaderChanges', 'LatchkeyHighFsyncLatency', 'LatchkeyQuotaAlarm',
        'LatchkeyMemberDown', 'LatchkeyApplyLagHigh'].every((a) => alerts.includes(a)), alerts.join(','));
    let dashboard = null;
    try {
      dashboard = JSON.parse(dashboards[0]?.data?.['latchkey.json'] ?? '');
    } catch (error) {
      check(at('Grafana dashboard JSON parses'), false, error.message);
    }
    if (dashboard) {
      check(at('Grafana dashboard JSON parses, with panels on latchkey_ metrics'), Array.isArray(dashboard.panels)
        && dashboard.panels.length > 0 && dashboard.panels.every((p) => p.targets?.every((t) => t.expr.includes('latchkey_'))));
    }
  } else {
    check(at('no PrometheusRule, no dashboard'), rules.length === 0 && dashboards.length === 0);
  }
}

// The image: runs the JRE as non-root with the data volume and ports of the contract.
function checkDockerfile() {
  const text = readFileSync('Dockerfile', 'utf8');
  const stages = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  check('Dockerfile: multi-stage build', stages.length >= 2);
  check('Dockerfile: builds with the Maven wrapper and the container profile',
    /\.\/mvnw\b.*\bpackage\b.*-Pcontainer/.test(text));
  check('Dockerfile: runs on a JRE 21+', /(jre|jdk)/i.test(stages.at(-1)) && Number(stages.at(-1).match(/:(\d+)/)?.[1]) >= 21);
  check(`Dockerfile: exposes ${clientPort} and ${peerPort}`,
    new RegExp(`^EXPOSE\\s+.*\\b${clientPort}\\b.*\\b${peerPort}\\b`, 'm').test(runtime));
  const user = runtime.match(/^USER\s+(\S+)/m)?.[1] ?? 'root';
  check('Dockerfile: runs as a non-root numeric user', /^[1-9][0-9]*(:[0-9]+)?$/.test(user), user);
  check('Dockerfile: data directory is a volume', /^VOLUME\s+.*\/var\/lib\/latchkey/m.test(runtime));
  check('Dockerfile: listens on all interfaces', /SERVER_HOST=0\.0\.0\.0/.test(runtime));
  check('Dockerfile: has curl and jq for the membership script', /\bcurl\b/.test(runtime) && /\bjq\b/.test(runtime));
}

console.log(`config contract from ${configSource}: ${config.size} keys; server.port=${clientPort}, latchkey.peer-port=${peerPort}`);
checkDockerfile();
check('the peer socket is named raft and listens on latchkey.peer-port',
  properties.get('server.sockets.0.name') === 'raft' && properties.get('server.sockets.0.port') === '${latchkey.peer-port}');
const constants = new Map([...readFileSync(SETTINGS, 'utf8').matchAll(/static final String ([A-Z_]+) = "([^"]+)";/g)]
  .map(([, name, key]) => [name, key]));
const sourceMap = new Map([...tlsSource.matchAll(/"(server\.sockets\.0\.tls\.[^"]+)", "\$\{" \+ NodeSettings\.([A-Z_]+) \+ "\}"/g)]
  .map(([, socketKey, constant]) => [socketKey, constants.get(constant)]));
for (const [socketKey, key] of Object.entries(SOCKET_TLS)) {
  check(`${socketKey} follows ${key} (${TLS_SOURCE})`, sourceMap.get(socketKey) === key, sourceMap.get(socketKey));
}
check(`${TLS_SOURCE} switches on ${envName(TLS_SWITCH)}`, tlsSource.includes(`System.getenv("${envName(TLS_SWITCH)}")`) &&
  tlsSource.includes('System.getProperty(NodeSettings.PEER_TLS_ENABLED)') && constants.get('PEER_TLS_ENABLED') === TLS_SWITCH);
check('the peer socket TLS is not also in the properties file', [...properties.keys()].every((k) => !k.includes('.tls.')));
check('peer TLS keys are read by NodeSettings', [TLS_SWITCH, ...Object.keys(TLS_FILES)].every((key) => config.has(key)));
check('membership.sh derives https:// peer URLs from the TLS switch',
  MEMBERSHIP_SCRIPT.includes(`\${${envName(TLS_SWITCH)}:-false}`) && MEMBERSHIP_SCRIPT.includes('https://'));
// What membership.sh writes to node.env must be settings the node reads.
const written = [...MEMBERSHIP_SCRIPT.matchAll(/"(LATCHKEY_[A-Z0-9_]+)=/g)].map((m) => m[1]);
check('membership.sh writes LATCHKEY_NODE_ID and LATCHKEY_CLUSTER_ID to node.env',
  JOIN_ENV.every((name) => written.includes(name)), written.join(' '));
for (const name of new Set(written)) {
  check(`membership.sh node.env ${name} maps to a config key${knownEnv.has(name) ? ` (${knownEnv.get(name)})` : ''}`,
    knownEnv.has(name));
}
for (const target of targets) {
  const [scenarioName, file] = target.split('=');
  await checkScenario(scenarioName, file);
}
console.log(`counts ${passed} ${failed}`);
