package io.latchkey.jepsen;

import io.latchkey.client.Fence;
import io.latchkey.client.KeyValue;
import io.latchkey.client.LatchkeyClient;
import io.latchkey.client.LatchkeyException;
import io.latchkey.client.LockHeld;
import io.latchkey.client.Requests;
import io.latchkey.client.WriteOptions;
import io.latchkey.testing.Await;
import io.latchkey.jepsen.checker.Call;
import io.latchkey.jepsen.checker.HistoryRecorder;
import io.latchkey.jepsen.checker.Result;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client workloads. Each worker is a thread that acts as one Jepsen "process": at most one
 * operation in flight; after an operation whose fate is unknown (INFO) it takes a new process
 * number, since the old one may still have that operation pending forever.
 */
final class Workloads {
    static final long LEASE_TTL_SECONDS = 3;
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    static final int KEYS = 4;
    static final int LOCKS = 2;
    private static final int PROCESS_STRIDE = 1000;

    /** What all workers of a run share. */
    static final class Context {
        final Nodes nodes;
        final HistoryRecorder recorder;
        final LeaseEvidence leases;
        final long endNanos;
        /** Operation ids of lease-consistency reads (recorded as linearizable reads), for reports. */
        final Set<Integer> leaseReads = ConcurrentHashMap.newKeySet();
        final AtomicInteger harnessErrors = new AtomicInteger();
        /** How often each kind of request got each answer ("acquire 409"), for the report. */
        final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
        /** The first body of each error answer. */
        final Map<String, String> samples = new ConcurrentHashMap<>();

        void count(String request, Answer reply) {
            String answer = reply.fate() == Answer.Fate.ANSWERED ? Integer.toString(reply.status()) : reply.fate().name().toLowerCase();
            String title = reply.fate() == Answer.Fate.ANSWERED && reply.status() >= 400 ? reply.title() : null;
            String key = request + " " + answer + (title == null ? "" : " " + title);
            answers.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            if (reply.detail() != null) {
                samples.putIfAbsent(key, reply.detail());
            }
        }

        Context(Nodes nodes, HistoryRecorder recorder, LeaseEvidence leases, long endNanos) {
            this.nodes = nodes;
            this.recorder = recorder;
            this.leases = leases;
            this.endNanos = endNanos;
        }

        boolean running() {
            return System.nanoTime() - endNanos < 0;
        }
    }

    /** One client thread. */
    abstract static class Worker implements Runnable {
        final Context ctx;
        final Random random;
        private final int slot;
        private int generation;
        private int node;

        Worker(Context ctx, int slot, long seed) {
            this.ctx = ctx;
            this.slot = slot;
            this.random = new Random(seed * 7919 + slot);
            this.node = slot % ctx.nodes.size();
        }

        int process() {
            return slot + generation * PROCESS_STRIDE;
        }

        /** The client of the node this worker talks to now: one attempt per request. */
        LatchkeyClient client() {
            return ctx.nodes.client(node);
        }

        /**
         * Moves to another node after one did not answer (it may be down). Serializable reads
         * never go back only per member (as in etcd), so on another node the client is another
         * process to the checker.
         */
        void hop() {
            int next = random.nextInt(ctx.nodes.size());
            if (next != node) {
                node = next;
                generation++;
            }
        }

        /**
         * Completes an operation whose answer was not a checkable one: FAIL when it certainly did
         * nothing, else INFO (and the process is retired).
         */
        void unclear(int id, Answer reply) {
            if (reply.fate() != Answer.Fate.ANSWERED) {
                hop();
            }
            if (reply.certainlyNothing()) {
                ctx.recorder.fail(id);
                pause(50 + random.nextInt(150));
                return;
            }
            if (reply.fate() == Answer.Fate.ANSWERED && reply.status() < 500) {
                ctx.harnessErrors.incrementAndGet();
                System.err.println("jepsen: unexpected answer " + reply);
            }
            ctx.recorder.info(id);
            retire();
        }

        /**
         * Takes a new process number after an INFO operation, and backs off a little: a burst of
         * operations of unknown fate on one object makes the checker's search expensive.
         */
        void retire() {
            generation++;
            pause(300 + random.nextInt(700));
        }

        void pause(long millis) {
            Await.pause(Duration.ofMillis(millis));
        }

        @Override
        public final void run() {
            while (ctx.running() && !Thread.currentThread().isInterrupted()) {
                step();
                pause(random.nextInt(40));
            }
        }

        abstract void step();
    }

    /**
     * (a) Per-key CAS registers, read at all three consistencies; with {@code leaseReads} (the
     * "lease-register" workload) most reads ask for {@code consistency=lease}, so that a leader
     * answering inside a lease it no longer holds is caught in the act.
     */
    static final class Register extends Worker {
        private final Map<String, Long> lastSeen = new HashMap<>();
        private final boolean leaseReads;
        private int written;

        Register(Context ctx, int slot, long seed, boolean leaseReads) {
            super(ctx, slot, seed);
            this.leaseReads = leaseReads;
        }

        @Override
        void step() {
            String key = "jk" + random.nextInt(KEYS);
            int dice = random.nextInt(100);
            if (leaseReads && dice < 45) {
                read(key, "lease");
                return;
            }
            if (dice < 20) {
                read(key, "linearizable");
            } else if (dice < 30) {
                read(key, "lease");
            } else if (dice < 45) {
                read(key, "serializable");
            } else if (dice < 65) {
                String value = value();
                write(key, new Call.Write(key, value), WriteOptions.none());
            } else if (dice < 95) {
                long expected = lastSeen.getOrDefault(key, 0L);
                write(key, new Call.Cas(key, expected, value()), WriteOptions.none().expectRevision(expected));
            } else {
                delete(key);
            }
        }

        private String value() {
            return "p" + process() + "-" + (++written);
        }

        private void read(String key, String consistency) {
            Call call = consistency.equals("serializable") ? new Call.SerializableRead(key) : new Call.Read(key);
            int id = ctx.recorder.invoke(process(), call);
            if (consistency.equals("lease")) {
                ctx.leaseReads.add(id);
            }
            Optional<KeyValue> read;
            try {
                read = client().get(key, consistency);
            } catch (LatchkeyException e) {
                Answer r = Answer.of(e);
                ctx.count("read " + consistency, r);
                unclear(id, r);
                return;
            }
            ctx.count("read " + consistency, Answer.ok(read.isPresent() ? 200 : 404));
            long mod = read.map(KeyValue::modRevision).orElse(0L);
            ctx.recorder.ok(id, new Result.ValueAt(read.map(KeyValue::text).orElse(null), mod));
            lastSeen.put(key, mod);
        }

        private void write(String key, Call call, WriteOptions options) {
            String value = call instanceof Call.Cas c ? c.value() : ((Call.Write) call).value();
            String request = call instanceof Call.Cas ? "cas" : "write";
            int id = ctx.recorder.invoke(process(), call);
            Answer r;
            try {
                long revision = client().put(key, value, options).revision();
                ctx.count(request, Answer.ok(200));
                ctx.recorder.ok(id, new Result.Revision(revision));
                lastSeen.put(key, revision);
                return;
            } catch (LatchkeyException e) {
                r = Answer.of(e);
            }
            ctx.count(request, r);
            if (r.answered(412) && call instanceof Call.Cas) {
                ctx.recorder.ok(id, new Result.Rejected());
            } else {
                unclear(id, r);
            }
        }

        private void delete(String key) {
            int id = ctx.recorder.invoke(process(), new Call.Delete(key));
            Answer r;
            try {
                long revision = client().delete(key).revision();
                ctx.count("delete", Answer.ok(200));
                ctx.recorder.ok(id, new Result.Revision(revision));
                lastSeen.put(key, 0L);
                return;
            } catch (LatchkeyException e) {
                r = Answer.of(e);
            }
            ctx.count("delete", r);
            if (r.answered(404)) {
                ctx.recorder.ok(id, new Result.Rejected());
            } else {
                unclear(id, r);
            }
        }
    }

    /**
     * (b) acquire, fenced writes to the lock's resource key, release; sometimes the client
     * pauses longer than its lease TTL without keep-alives. (c) With {@code releases} false the
     * holder never releases: it stops its keep-alives, and the lock must pass to a waiter only
     * once the lease has expired.
     */
    static final class Lock extends Worker {
        private final boolean releases;
        private int written;

        Lock(Context ctx, int slot, long seed, boolean releases) {
            super(ctx, slot, seed);
            this.releases = releases;
        }

        @Override
        void step() {
            String lock = "jl" + random.nextInt(LOCKS);
            // Shorter than the waiter's own lease, which gets no keep-alives while it waits.
            long waitMillis = LEASE_TTL_SECONDS * 1000 - 1000;
            int id = ctx.recorder.invoke(process(), new Call.Acquire(lock));
            long invoked = System.nanoTime();
            LockHeld held;
            try {
                // A lease of its own, granted with the lock: no keep-alive but the harness's.
                held = client().acquireLock(lock, new Requests.Acquire(null, LEASE_TTL_SECONDS, waitMillis, "p" + process()));
                ctx.count("acquire", Answer.ok(200));
            } catch (LatchkeyException e) {
                Answer r = Answer.of(e);
                ctx.count("acquire", r);
                if (r.answered(409) || r.answered(429)) {
                    // Not granted in time (the waiter gave up through the log) or too many waiters.
                    ctx.recorder.fail(id);
                } else if (r.answered(404)) {
                    // The give-up found no ticket: the waiter's lease ended while it waited, perhaps
                    // after a late grant, so the grant's fate is unknown.
                    ctx.recorder.info(id);
                    retire();
                } else {
                    unclear(id, r);
                }
                return;
            }
            long token = held.token();
            long leaseId = held.leaseId();
            ctx.recorder.ok(id, new Result.Revision(token));
            ctx.leases.renewed(lock, token, leaseId, invoked, System.nanoTime());
            hold(lock, token, leaseId);
        }

        private void hold(String lock, long token, long leaseId) {
            int writes = 1 + random.nextInt(3);
            for (int w = 0; w < writes && ctx.running(); w++) {
                if (random.nextInt(100) < 15) {
                    // A client pause longer than the lease: the fenced write after it must be refused
                    // if anyone else got the lock meanwhile.
                    pause(LEASE_TTL_SECONDS * 1000 + 300 + random.nextInt(1500));
                } else if (!keepAlive(lock, token, leaseId)) {
                    return;
                }
                if (!fencedWrite(lock, token)) {
                    return;
                }
                pause(100 + random.nextInt(200));
            }
            if (releases) {
                release(lock, token);
            }
        }

        /** False when the lease is gone or the outcome is unknown: the hold is over. */
        private boolean keepAlive(String lock, long token, long leaseId) {
            long invoked = System.nanoTime();
            Answer r = Answer.of(() -> client().keepAlive(leaseId, REQUEST_TIMEOUT), 200);
            ctx.count("keepalive", r);
            if (r.answered(200)) {
                ctx.leases.renewed(lock, token, leaseId, invoked, System.nanoTime());
                return true;
            }
            if (r.fate() != Answer.Fate.ANSWERED) {
                hop();
            }
            return r.certainlyNothing();
        }

        private boolean fencedWrite(String lock, long token) {
            String key = "jr-" + lock;
            String value = "p" + process() + "-t" + token + "-" + (++written);
            int id = ctx.recorder.invoke(process(), new Call.FencedWrite(key, value, lock, token));
            Answer r;
            try {
                long revision = client().put(key, value, WriteOptions.none().fence(new Fence(lock, token))).revision();
                ctx.count("fenced write", Answer.ok(200));
                ctx.recorder.ok(id, new Result.Revision(revision));
                return true;
            } catch (LatchkeyException e) {
                r = Answer.of(e);
            }
            ctx.count("fenced write", r);
            if (r.answered(412)) {
                ctx.recorder.ok(id, new Result.Rejected());
                return false;
            }
            boolean nothing = r.certainlyNothing();
            unclear(id, r);
            return nothing;
        }

        private void release(String lock, long token) {
            ctx.leases.releasing(lock, token, System.nanoTime());
            int id = ctx.recorder.invoke(process(), new Call.Release(lock, token));
            Answer r = Answer.of(() -> client().releaseLock(lock, token), 204);
            ctx.count("release", r);
            if (r.answered(204)) {
                ctx.recorder.ok(id, new Result.Done());
            } else if (r.answered(409) || r.answered(404)) {
                ctx.recorder.ok(id, new Result.Rejected());
            } else {
                unclear(id, r);
            }
        }
    }
}
