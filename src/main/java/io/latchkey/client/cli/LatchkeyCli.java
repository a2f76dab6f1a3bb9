package io.latchkey.client.cli;

import io.latchkey.client.ClusterInfo;
import io.latchkey.client.Json;
import io.latchkey.client.KeyValue;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.LatchkeyException;
import io.latchkey.client.Lease;
import io.latchkey.client.LeaseInfo;
import io.latchkey.client.Lock;
import io.latchkey.client.Member;
import io.latchkey.client.SavedSnapshot;
import io.latchkey.client.Watch;
import io.latchkey.client.WatchEvent;
import io.latchkey.client.WriteOptions;
import io.latchkey.client.Written;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code latchkey} command line (run by {@code scripts/latchkey}, or
 * {@code java -jar target/latchkey-client.jar}). Endpoints and token come from flags or the
 * environment; output is a table (default) or JSON, one object per line. Exit status: 0 done,
 * 1 refused or failed (the problem on stderr), 2 bad usage; {@code lock -- CMD} exits with CMD's.
 */
public final class LatchkeyCli {
    static final String USAGE = """
            usage: latchkey [--endpoints URL,...] [--token TOKEN] [--cacert FILE] [--timeout SECONDS] [-o table|json] COMMAND
              get KEY                       read a key (exit 1 if absent)
              put KEY [VALUE]               write a key (VALUE from stdin when omitted)
              del KEY                       delete a key
              list [PREFIX]                 keys under PREFIX
              watch PREFIX [--from-revision N]
                                            print changes under PREFIX until interrupted
              lock NAME [--ttl SECONDS] -- CMD [ARGS...]
                                            run CMD while holding the lock NAME; CMD sees
                                            LATCHKEY_LOCK_NAME, LATCHKEY_LOCK_TOKEN (the fencing token)
                                            and LATCHKEY_LEASE_ID; exits with CMD's status
              lease grant TTL_SECONDS | lease revoke ID | lease show ID
              member list | member add NAME PEER_URL CLIENT_URL | member promote ID | member remove ID
              snapshot save FILE            save a backup of the state (admin); restore it with
                                            java -jar latchkey.jar restore FILE --data-dir DIR
            environment: LATCHKEY_ENDPOINTS (default http://127.0.0.1:8080), LATCHKEY_TOKEN, LATCHKEY_CACERT
            --timeout: how long a request is retried across the endpoints (default 10)
            """;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private boolean json;

    LatchkeyCli(Map<String, String> env, PrintStream out, PrintStream err, InputStream in) {
        this.env = env;
        this.out = out;
        this.err = err;
        this.in = in;
    }

    public static void main(String[] args) {
        System.exit(new LatchkeyCli(System.getenv(), System.out, System.err, System.in).run(args));
    }

    /** Runs one command; returns the exit status. */
    int run(String[] args) {
        String endpoints = env.getOrDefault("LATCHKEY_ENDPOINTS", "http://127.0.0.1:8080");
        String token = env.get("LATCHKEY_TOKEN");
        String cacert = env.get("LATCHKEY_CACERT");
        long timeoutSeconds = 10;
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        try {
            while (!rest.isEmpty() && rest.getFirst().startsWith("-")) {
                String flag = rest.removeFirst();
                switch (flag) {
                    case "--endpoints" -> endpoints = value(rest, flag);
                    case "--token" -> token = value(rest, flag);
                    case "--cacert" -> cacert = value(rest, flag);
                    case "--timeout" -> timeoutSeconds = number(value(rest, flag), flag);
                    case "-o", "--output" -> {
                        String format = value(rest, flag);
                        if (!format.equals("json") && !format.equals("table")) {
                            throw new Usage("--output is table or json, not " + format);
                        }
                        json = format.equals("json");
                    }
                    case "-h", "--help" -> {
                        out.print(USAGE);
                        return 0;
                    }
                    default -> throw new Usage("unknown option " + flag);
                }
            }
            if (rest.isEmpty()) {
                throw new Usage("no command");
            }
            LatchkeyClient.Builder builder = LatchkeyClient.builder().endpoints(endpoints.split(","))
                    .bearerToken(token).retryTimeout(Duration.ofSeconds(timeoutSeconds));
            if (cacert != null && !cacert.isBlank()) {
                builder.trustedCa(Path.of(cacert));
            }
            try (LatchkeyClient client = builder.build()) {
                return command(client, rest.removeFirst(), rest);
            }
        } catch (Usage e) {
            err.println("latchkey: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (LatchkeyException e) {
            err.println("latchkey: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            err.println("latchkey: " + e.getMessage());
            return 2;
        }
    }

    private int command(LatchkeyClient client, String command, List<String> args) {
        switch (command) {
            case "get" -> {
                String key = only(args, "get KEY");
                return client.get(key).map(kv -> {
                    printKeys(List.of(kv));
                    return 0;
                }).orElseGet(() -> {
                    err.println("latchkey: no key " + key);
                    return 1;
                });
            }
            case "put" -> {
                if (args.isEmpty() || args.size() > 2) {
                    throw new Usage("put KEY [VALUE]");
                }
                byte[] value = args.size() == 2 ? args.get(1).getBytes(java.nio.charset.StandardCharsets.UTF_8) : stdin();
                printWritten(client.put(args.getFirst(), value, WriteOptions.none()));
                return 0;
            }
            case "del", "delete" -> {
                printWritten(client.delete(only(args, "del KEY")));
                return 0;
            }
            case "list" -> {
                printKeys(client.list(args.isEmpty() ? "" : only(args, "list [PREFIX]"), 1000).keys());
                return 0;
            }
            case "watch" -> {
                return watch(client, args);
            }
            case "lock" -> {
                return lock(client, args);
            }
            case "lease" -> {
                return lease(client, args);
            }
            case "member" -> {
                return member(client, args);
            }
            case "snapshot" -> {
                return snapshot(client, args);
            }
            default -> throw new Usage("unknown command " + command);
        }
    }

    private int watch(LatchkeyClient client, List<String> args) {
        long from = 0;
        List<String> rest = new ArrayList<>(args);
        int i = rest.indexOf("--from-revision");
        if (i >= 0) {
            rest.remove(i);
            from = number(value(rest.subList(i, rest.size()), "--from-revision"), "--from-revision");
        }
        String prefix = only(rest, "watch PREFIX [--from-revision N]");
        CountDownLatch ended = new CountDownLatch(1);
        LatchkeyException[] failure = new LatchkeyException[1];
        try (Watch w = client.watch(prefix, from, new io.latchkey.client.WatchListener() {
            @Override
            public void onEvent(WatchEvent e) {
                if (json) {
                    out.println(Json.text(e));
                } else {
                    out.println(e.type() + " " + e.key() + " " + e.modRevision() + (e.isDelete() ? "" : " " + e.text()));
                }
                out.flush();
            }

            @Override
            public void onError(LatchkeyException e) {
                failure[0] = e;
                ended.countDown();
            }
        })) {
            ended.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return 0;
    }

    private int lock(LatchkeyClient client, List<String> args) {
        int dashes = args.indexOf("--");
        if (dashes < 1 || dashes == args.size() - 1) {
            throw new Usage("lock NAME [--ttl SECONDS] -- CMD [ARGS...]");
        }
        List<String> options = new ArrayList<>(args.subList(0, dashes));
        List<String> cmd = args.subList(dashes + 1, args.size());
        String name = options.removeFirst();
        long ttl = 15;
        if (!options.isEmpty()) {
            if (!options.getFirst().equals("--ttl") || options.size() != 2) {
                throw new Usage("lock NAME [--ttl SECONDS] -- CMD [ARGS...]");
            }
            ttl = number(options.get(1), "--ttl");
        }
        Lease lease = client.grantLease(Duration.ofSeconds(ttl));
        Lock lock = client.lock(name, lease);
        Process[] child = new Process[1]; // read by the hook and the loss listener
        // Interrupted (Ctrl-C, SIGTERM): stop the command and revoke the lease, which releases the
        // lock or leaves its queue (the lock's own methods may be busy waiting on the main thread).
        Thread cleanup = new Thread(() -> {
            Process p = child[0];
            if (p != null) {
                p.destroy();
            }
            lease.revoke();
        });
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            lock.acquire();
            lock.onLoss((l, reason) -> {
                err.println("latchkey: lost the lock " + name + " (" + reason.getMessage() + "); stopping the command");
                Process p = child[0];
                if (p != null) {
                    p.destroy();
                }
            });
            ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
            pb.environment().put("LATCHKEY_LOCK_NAME", name);
            pb.environment().put("LATCHKEY_LOCK_TOKEN", Long.toString(lock.token()));
            pb.environment().put("LATCHKEY_LEASE_ID", Long.toString(lease.id()));
            child[0] = pb.start();
            return child[0].waitFor();
        } catch (IOException e) {
            err.println("latchkey: cannot run " + cmd.getFirst() + ": " + e.getMessage());
            return 127;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        } finally {
            lock.release();
            lease.revoke();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // Shutting down already: the hook runs.
            }
        }
    }

    private int lease(LatchkeyClient client, List<String> args) {
        String sub = args.isEmpty() ? "" : args.getFirst();
        switch (sub) {
            case "grant" -> {
                long ttl = number(only(args.subList(1, args.size()), "lease grant TTL_SECONDS"), "TTL_SECONDS");
                // Granted by id only: the CLI ends at once, so nothing would keep the lease alive.
                Lease lease = client.grantLease(Duration.ofSeconds(ttl));
                if (json) {
                    out.println("{\"id\":" + lease.id() + ",\"ttlSeconds\":" + lease.ttl().toSeconds() + "}");
                } else {
                    new Table("ID", "TTL").row(lease.id(), lease.ttl().toSeconds() + "s").print(out);
                }
                return 0;
            }
            case "revoke" -> {
                client.revokeLease(number(only(args.subList(1, args.size()), "lease revoke ID"), "ID"));
                return 0;
            }
            case "show" -> {
                long id = number(only(args.subList(1, args.size()), "lease show ID"), "ID");
                LeaseInfo info = client.lease(id).orElseThrow(() -> new LatchkeyException(404, "Not found",
                        "no lease " + id, "id"));
                if (json) {
                    out.println(Json.text(info));
                } else {
                    new Table("ID", "TTL", "REMAINING", "KEYS", "LOCKS").row(info.id(), info.ttlSeconds() + "s",
                            info.remainingMillis() + "ms", String.join(",", info.keys()), String.join(",", info.locks()))
                            .print(out);
                }
                return 0;
            }
            default -> throw new Usage("lease grant TTL_SECONDS | lease revoke ID | lease show ID");
        }
    }

    private int member(LatchkeyClient client, List<String> args) {
        String sub = args.isEmpty() ? "" : args.getFirst();
        List<String> rest = args.subList(Math.min(1, args.size()), args.size());
        switch (sub) {
            case "list" -> {
                ClusterInfo c = client.cluster();
                if (json) {
                    out.println(Json.text(c));
                } else {
                    Table t = new Table("ID", "NAME", "ROLE", "LEADER", "PEER URL", "CLIENT URL");
                    for (Member m : c.members()) {
                        t.row(m.id(), m.name(), m.role(), m.id().equals(c.leaderId()) ? "*" : "", m.peerUrl(), m.clientUrl());
                    }
                    t.print(out);
                }
                return 0;
            }
            case "add" -> {
                if (rest.size() != 3) {
                    throw new Usage("member add NAME PEER_URL CLIENT_URL");
                }
                var added = client.addMember(rest.get(0), rest.get(1), rest.get(2));
                if (json) {
                    out.println(Json.text(added));
                } else {
                    new Table("ID", "CLUSTER ID").row(added.id(), added.clusterId()).print(out);
                    out.println("start the member with latchkey.node-id=" + added.id() + " and latchkey.cluster.id="
                            + added.clusterId() + ", then: latchkey member promote " + added.id());
                }
                return 0;
            }
            case "promote" -> {
                client.promoteMember(only(rest, "member promote ID"));
                return 0;
            }
            case "remove" -> {
                client.removeMember(only(rest, "member remove ID"));
                return 0;
            }
            default -> throw new Usage("member list | member add NAME PEER_URL CLIENT_URL | member promote ID | member remove ID");
        }
    }

    /** What {@code snapshot save -o json} prints. */
    public record SavedSnapshotJson(String file, long revision, String sha256, long bytes) {
    }

    /** Streams the backup into FILE (see {@link LatchkeyClient#saveSnapshot}): FILE is whole and checked, or untouched. */
    private int snapshot(LatchkeyClient client, List<String> args) {
        if (args.size() != 2 || !args.getFirst().equals("save")) {
            throw new Usage("snapshot save FILE");
        }
        SavedSnapshot saved = client.saveSnapshot(Path.of(args.get(1)));
        if (json) {
            out.println(Json.text(new SavedSnapshotJson(saved.file().toString(), saved.revision(), saved.sha256(),
                    saved.sizeBytes())));
        } else {
            new Table("FILE", "REVISION", "SHA256", "BYTES").row(saved.file(), saved.revision(), saved.sha256(),
                    saved.sizeBytes()).print(out);
        }
        return 0;
    }

    private void printKeys(List<KeyValue> keys) {
        if (json) {
            keys.forEach(kv -> out.println(Json.text(kv)));
            return;
        }
        Table t = new Table("KEY", "VALUE", "MOD REVISION", "VERSION", "LEASE");
        for (KeyValue kv : keys) {
            t.row(kv.key(), kv.value() != null ? kv.value() : "base64:" + kv.valueBase64(), kv.modRevision(), kv.version(),
                    kv.leaseId());
        }
        t.print(out);
    }

    private void printWritten(Written w) {
        if (json) {
            out.println(Json.text(w));
        } else {
            new Table("KEY", "REVISION", "VERSION").row(w.key(), w.revision(), w.version()).print(out);
        }
    }

    private byte[] stdin() {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the value from stdin: " + e.getMessage(), e);
        }
    }

    private static String value(List<String> rest, String flag) {
        if (rest.isEmpty()) {
            throw new Usage(flag + " needs a value");
        }
        return rest.removeFirst();
    }

    private static String only(List<String> args, String usage) {
        if (args.size() != 1) {
            throw new Usage(usage);
        }
        return args.getFirst();
    }

    private static long number(String text, String what) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new Usage(what + " must be a number, not " + text);
        }
    }

    /** Bad usage: exit status 2 with the usage text. */
    private static final class Usage extends RuntimeException {
        Usage(String message) {
            super(message);
        }
    }
}
