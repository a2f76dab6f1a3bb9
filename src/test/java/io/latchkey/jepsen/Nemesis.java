package io.latchkey.jepsen;

import io.latchkey.client.AddedMember;
import io.latchkey.client.ClusterInfo;
import io.latchkey.client.LatchkeyException;
import io.latchkey.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Injects faults on a schedule drawn from the run's seed: quiet, fault, heal, again, until the
 * workload ends. The choice and timing of faults come from the seed; what the cluster does
 * meanwhile does not (the leader a fault aims at is whichever leads at that moment).
 */
final class Nemesis implements Runnable {
    /**
     * KILL: -9 and restart. PAUSE: SIGSTOP past the lease TTL. PARTITION, LOSS: iptables in the
     * node namespaces. CLOCK: wall-clock jumps of one or every node (libfaketime). FSYNC: fsync
     * fails with EIO on one node for a while. MEMBER: remove a member and add a new one in its
     * slot (learner, then promoted) through the membership API, half the time under packet
     * loss. TRANSFER: the leader hands leadership to another member through the API; on
     * namespaces, a third of the time it first stops hearing its peers (its own packets still
     * leave), and a third of the time it is first cut off from all but the transferee and
     * stops hearing the transferee, as in the stale lease read once seen after a transfer
     * (issue 15). ONEWAY: one-way partitions (iptables drops at the receiver only): a node
     * that hears nobody, a node nobody hears, or random single directions. PGPAUSE: SIGSTOP of
     * one node's PostgreSQL (the server and its backends), now and then past the node's JDBC
     * socket timeout, then SIGCONT. RECONFIG: the MEMBER change (remove, re-add with an empty
     * data directory as learner, promote) while, during each of its steps, a member is killed
     * and restarted or paused, its JVM or its PostgreSQL ({@link StepCrashes}).
     */
    enum Fault { KILL, PAUSE, PARTITION, LOSS, CLOCK, FSYNC, MEMBER, TRANSFER, ONEWAY, PGPAUSE, RECONFIG }

    /** The steps of a membership change, each of which a fault may run alongside. */
    enum MemberStep {
        /** Removing the old member until the others no longer list it. */
        REMOVE,
        /** Adding the new member (as learner) through the leader; the old member's process is dead. */
        ADD,
        /** The new member runs, catches up (usually by snapshot install) and is promoted. */
        JOIN
    }

    /** What runs alongside each step of a membership change. */
    interface Alongside {
        /** Nothing: a membership change on its own. */
        Alongside NOTHING = new Alongside() {
            @Override
            public void begin(MemberStep step, int victim) {
            }

            @Override
            public void end() {
            }
        };

        /** Starts what runs alongside {@code step}; {@code victim} is the slot whose member is replaced. */
        void begin(MemberStep step, int victim) throws Exception;

        /** Waits until what {@link #begin} started has ended and its node is back. */
        void end() throws Exception;
    }

    /** Wall-clock offsets a clock jump picks from (seconds): around the TTL, minutes, an hour, a day. */
    private static final long[] CLOCK_OFFSETS = {-86_400, -3600, -300, -30, -5, -2, 2, 5, 30, 300, 3600, 86_400};
    /** A libfaketime node sees a new offset within ~3 s (its 1 s cache is checked in whole seconds). */
    private static final long CLOCK_PICKUP_MILLIS = 3500;
    private static final Duration MEMBER_STEP_TIMEOUT = Duration.ofSeconds(40);

    private final Nodes nodes;
    private final List<Fault> faults;
    private final Random random;
    private final long endNanos;
    private final long startNanos = System.nanoTime();
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final List<Fault> bag = new ArrayList<>();

    Nemesis(Nodes nodes, List<Fault> faults, long seed, long endNanos) {
        this.nodes = nodes;
        this.faults = faults;
        this.random = new Random(seed);
        this.endNanos = endNanos;
    }

    List<String> events() {
        return List.copyOf(events);
    }

    void log(String what) {
        String line = String.format("%7.1fs %s", (System.nanoTime() - startNanos) / 1e9, what);
        events.add(line);
    }

    /**
     * The next fault: the configured faults in a seeded shuffled order, reshuffled once all were
     * used, so a short run meets each of them rather than whichever a random draw favours.
     */
    private Fault next() {
        if (bag.isEmpty()) {
            bag.addAll(faults);
            Collections.shuffle(bag, random);
        }
        return bag.removeFirst();
    }

    private boolean running() {
        return System.nanoTime() - endNanos < 0;
    }

    /** Sleeps, waking early when the workload ends; false if it ended. */
    boolean sleep(long millis) throws InterruptedException {
        long until = Math.min(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis), endNanos);
        while (System.nanoTime() - until < 0) {
            Await.pause(Duration.ofMillis(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())))));
        }
        return running();
    }

    @Override
    public void run() {
        try {
            while (running() && !faults.isEmpty()) {
                if (!sleep(2000 + random.nextInt(3000))) {
                    break;
                }
                Fault fault = next();
                switch (fault) {
                    case KILL -> kill();
                    case PAUSE -> pause();
                    case PARTITION -> partition();
                    case LOSS -> loss();
                    case CLOCK -> clock();
                    case FSYNC -> fsync();
                    case MEMBER -> memberChangeUnderLoss();
                    case RECONFIG -> member(new StepCrashes(this, nodes, random));
                    case TRANSFER -> transfer();
                    case ONEWAY -> oneWay();
                    case PGPAUSE -> pausePostgres();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log("nemesis failed: " + e);
            throw new IllegalStateException(e);
        } finally {
            nodes.network.heal();
            nodes.faults.heal(nodes.size());
            nodes.resumeAll();
        }
    }

    /** The current leader half the time (when one is known), else a random node. */
    int target() {
        int pick = random.nextInt(nodes.size());
        if (random.nextBoolean()) {
            int leader = nodes.leader();
            return leader >= 0 ? leader : pick;
        }
        return pick;
    }

    private void transfer() throws InterruptedException {
        int leader = nodes.leader();
        if (leader < 0) {
            log("transfer leadership: no leader");
            return;
        }
        int to = (leader + 1 + random.nextInt(nodes.size() - 1)) % nodes.size();
        int shape = nodes.network instanceof Network.Namespaces ? random.nextInt(3) : 0;
        if (shape == 1) {
            log("node " + (leader + 1) + " stops hearing its peers");
            ((Network.Namespaces) nodes.network).deafen(leader);
        } else if (shape == 2) {
            // Issue 15's observed stale read: the leader, cut off from the others and no longer
            // hearing the transferee (which still hears it), hands leadership over; the old
            // leader must not answer lease reads while the transferee wins with the others.
            List<int[]> cut = new ArrayList<>();
            for (int other = 0; other < nodes.size(); other++) {
                if (other != leader && other != to) {
                    cut.add(new int[] {leader, other});
                }
            }
            log("node " + (leader + 1) + " is cut off from all but node " + (to + 1) + ", and stops hearing node " + (to + 1));
            Network.Namespaces namespaces = (Network.Namespaces) nodes.network;
            namespaces.cutLinks(cut);
            namespaces.dropOneWay(List.<int[]>of(new int[] {to, leader}));
        }
        try {
            String target = Long.toHexString(nodes.memberId(to));
            Answer r = Answer.of(() -> nodes.admin(leader).transferLeadership(target), 202);
            log("transfer leadership from node " + (leader + 1) + " to node " + (to + 1) + ": " + r);
            sleep(2000 + random.nextInt(3000));
        } finally {
            if (shape != 0) {
                log("heal");
                nodes.network.heal();
            }
        }
    }

    private void kill() throws Exception {
        int n = target();
        kill(n, killMillis(random));
    }

    /** How long a killed node stays down. */
    static long killMillis(Random random) {
        return 1000 + random.nextInt(4000);
    }

    /** kill -9 node n, restart it after {@code downMillis} (sooner when the workload ends). */
    void kill(int n, long downMillis) throws Exception {
        log("kill -9 node " + (n + 1));
        nodes.kill(n);
        sleep(downMillis);
        log("restart node " + (n + 1));
        nodes.start(n);
    }

    private void pause() throws InterruptedException {
        int n = target();
        pause(n, pauseMillis(random));
    }

    /** How long a node stays stopped: past the lease TTL. */
    static long pauseMillis(Random random) {
        return Workloads.LEASE_TTL_SECONDS * 1000 + 1000 + random.nextInt(3000);
    }

    void pause(int n, long millis) throws InterruptedException {
        log("SIGSTOP node " + (n + 1) + " for " + millis + " ms");
        nodes.pause(n);
        try {
            sleep(millis);
        } finally {
            log("SIGCONT node " + (n + 1));
            nodes.resume(n);
        }
    }

    private void partition() throws InterruptedException {
        int size = nodes.size();
        int shape = random.nextInt(3);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        if (shape == 0) {
            Set<Integer> minority = new HashSet<>(order.subList(0, size / 2));
            Set<Integer> majority = new HashSet<>(order.subList(size / 2, size));
            log("partition halves " + plus1(minority) + " | " + plus1(majority));
            nodes.network.partition(List.of(minority, majority));
        } else if (shape == 1) {
            int leader = nodes.leader();
            int isolated = leader >= 0 ? leader : order.getFirst();
            Set<Integer> rest = new HashSet<>(order);
            rest.remove(isolated);
            log("partition isolate leader " + (isolated + 1) + " | " + plus1(rest));
            nodes.network.partition(List.of(Set.of(isolated), rest));
        } else {
            // Each node keeps only its ring neighbours; with 3 nodes (a triangle) cut one edge:
            // the node in the middle sees both sides, which overlap in it.
            List<int[]> cut = new ArrayList<>();
            for (int a = 0; a < size; a++) {
                for (int b = a + 1; b < size; b++) {
                    int pa = order.indexOf(a);
                    int pb = order.indexOf(b);
                    int gap = Math.abs(pa - pb);
                    if (gap != 1 && gap != size - 1) {
                        cut.add(new int[] {a, b});
                    }
                }
            }
            if (cut.isEmpty()) {
                cut.add(new int[] {order.get(0), order.get(1)});
            }
            StringBuilder text = new StringBuilder();
            cut.forEach(c -> text.append(' ').append(c[0] + 1).append('-').append(c[1] + 1));
            log("partition ring, cut links" + text);
            ((Network.Namespaces) nodes.network).cutLinks(cut);
        }
        holdNetworkFault();
    }

    /**
     * One-way partitions for a few seconds: node n hears none of the others (n is the leader
     * half the time: it keeps sending heartbeats that the others answer in vain), or none of
     * the others hears n, or each direction between two nodes is dropped with probability 1/3.
     */
    private void oneWay() throws InterruptedException {
        int n = target();
        List<int[]> links = new ArrayList<>();
        String shape;
        switch (random.nextInt(3)) {
            case 0 -> {
                shape = "node " + (n + 1) + " hears nobody";
                for (int other = 0; other < nodes.size(); other++) {
                    if (other != n) {
                        links.add(new int[] {other, n});
                    }
                }
            }
            case 1 -> {
                shape = "nobody hears node " + (n + 1);
                for (int other = 0; other < nodes.size(); other++) {
                    if (other != n) {
                        links.add(new int[] {n, other});
                    }
                }
            }
            default -> {
                for (int from = 0; from < nodes.size(); from++) {
                    for (int to = 0; to < nodes.size(); to++) {
                        if (from != to && random.nextInt(3) == 0) {
                            links.add(new int[] {from, to});
                        }
                    }
                }
                if (links.isEmpty()) {
                    links.add(new int[] {n, (n + 1) % nodes.size()});
                }
                StringBuilder text = new StringBuilder("dropped directions");
                links.forEach(l -> text.append(' ').append(l[0] + 1).append("->").append(l[1] + 1));
                shape = text.toString();
            }
        }
        log("one-way partition: " + shape);
        nodes.network.heal();
        ((Network.Namespaces) nodes.network).dropOneWay(links);
        holdNetworkFault();
    }

    /**
     * SIGSTOPs one node's PostgreSQL: the node's storage calls hang. Usually for a few seconds
     * (writes wait, the others carry on); one time in four for 21-24 s, past the node's JDBC
     * socket timeout (the 15 s storage I/O timeout + 5 s: a stopped server cannot enforce its
     * own statement timeout), when the node must give up on its storage rather than hang, and
     * acknowledge nothing it did not persist. After SIGCONT a node that is not live is restarted, as an
     * orchestrator would after a failed liveness probe.
     */
    private void pausePostgres() throws Exception {
        int n = target();
        pausePostgres(n, postgresPauseMillis(random));
    }

    /** Usually a few seconds; one time in four past the node's JDBC socket timeout. */
    static long postgresPauseMillis(Random random) {
        return random.nextInt(4) == 0 ? 21_000 + random.nextInt(3000) : 2000 + random.nextInt(6000);
    }

    void pausePostgres(int n, long millis) throws Exception {
        int stopped = nodes.pausePostgres(n);
        if (stopped == 0) {
            log("PostgreSQL pause skipped: node " + (n + 1) + " has no running PostgreSQL");
            return;
        }
        log("SIGSTOP PostgreSQL of node " + (n + 1) + " (" + stopped + " processes) for " + millis + " ms");
        Nodes.Health during;
        try {
            sleep(millis);
            during = nodes.health(n);
        } finally {
            log("SIGCONT PostgreSQL of node " + (n + 1));
            nodes.resumePostgres(n);
        }
        log("node " + (n + 1) + " was " + oneLine(during.toString()) + " at the end of the pause");
        // A node that gave up on its storage may take a moment to report it; then restart it.
        Await.within(Duration.ofSeconds(5), () -> nodes.health(n).state() == Nodes.Health.State.LIVE);
        Nodes.Health after = nodes.health(n);
        if (after.state() != Nodes.Health.State.LIVE) {
            log("node " + (n + 1) + " is " + oneLine(after.toString()) + "; restart it");
            nodes.kill(n);
            nodes.start(n);
        }
    }

    /** Keeps the network fault just made for 3 to 8 s, then heals it. */
    private void holdNetworkFault() throws InterruptedException {
        try {
            sleep(3000 + random.nextInt(5000));
        } finally {
            log("heal");
            nodes.network.heal();
        }
    }

    private void loss() throws InterruptedException {
        double p = 0.1 + random.nextInt(3) * 0.1;
        log(String.format("packet loss %.0f%% between nodes", p * 100));
        nodes.network.lossy(p);
        holdNetworkFault();
    }

    /**
     * One node's wall clock jumps (one to three times, forward or back), or every node's clock
     * moves to its own offset at once; then all return to real time. Leases are measured on
     * the leader's monotonic clock and in replicated time, so none of this may change safety.
     */
    private void clock() throws InterruptedException {
        List<Integer> jumped = new ArrayList<>();
        if (random.nextInt(3) == 0) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < nodes.size(); i++) {
                long offset = CLOCK_OFFSETS[random.nextInt(CLOCK_OFFSETS.length)];
                nodes.faults.setClockOffset(i, offset);
                jumped.add(i);
                text.append(" node ").append(i + 1).append(' ').append(signed(offset)).append('s');
            }
            log("clock skew on every node:" + text);
            observeClocks(jumped);
            sleep(1000 + random.nextInt(4000));
        } else {
            int n = target();
            jumped.add(n);
            int jumps = 1 + random.nextInt(3);
            for (int j = 0; j < jumps && running(); j++) {
                long offset = CLOCK_OFFSETS[random.nextInt(CLOCK_OFFSETS.length)];
                log("clock of node " + (n + 1) + " jumps to real time " + signed(offset) + " s");
                nodes.faults.setClockOffset(n, offset);
                observeClocks(List.of(n));
                sleep(1000 + random.nextInt(3000));
            }
        }
        log("clocks of " + plus1(Set.copyOf(jumped)) + " back to real time");
        jumped.forEach(i -> nodes.faults.setClockOffset(i, 0));
    }

    /**
     * Logs each node's wall-clock offset as its HTTP Date header shows it once libfaketime has
     * had time to pick up the new offset: evidence that a jump reached the process. Helidon
     * refreshes that header with a java.util.Timer, which runs on the wall clock: after a
     * backward jump the header stands still until the clock has caught up again.
     */
    private void observeClocks(List<Integer> which) throws InterruptedException {
        sleep(CLOCK_PICKUP_MILLIS);
        StringBuilder seen = new StringBuilder();
        for (int i : which) {
            Long offset = nodes.wallClockOffsetSeconds(i);
            seen.append(" node ").append(i + 1).append(' ').append(offset == null ? "?" : signed(offset) + "s");
        }
        log("wall clocks seen in Date headers (stand still after a backward jump):" + seen);
    }

    private static String signed(long offset) {
        return (offset >= 0 ? "+" : "") + offset;
    }

    /**
     * fsync fails with EIO on one node for a few seconds. The node must stop acknowledging (its
     * PostgreSQL panics; the node exits or its loop stops and liveness goes down) and never
     * acknowledge what it did not persist; the others carry on. Afterwards a node that is not
     * live is restarted, as an orchestrator would after a failed liveness probe.
     */
    private void fsync() throws Exception {
        int n = target();
        Nodes.Health before = nodes.health(n);
        if (before.state() != Nodes.Health.State.LIVE) {
            // Only a node that runs shows what a storage failure does to it.
            log("fsync fault skipped: node " + (n + 1) + " is " + oneLine(before.toString()));
            return;
        }
        long commitBefore = nodes.commitIndex(n);
        log("fsync EIO on node " + (n + 1) + " (its commit index " + commitBefore + ")");
        nodes.faults.failFsync(n, true);
        Nodes.Health during;
        long commitAfter;
        try {
            sleep(3000 + random.nextInt(4000));
            during = nodes.health(n);
            commitAfter = during.state() == Nodes.Health.State.LIVE ? nodes.commitIndex(n) : -1;
        } finally {
            nodes.faults.failFsync(n, false);
        }
        // A node that stays live either had nothing to persist (its commit index did not move)
        // or its storage rode out the failure by retrying the write on a recovered PostgreSQL.
        log("fsync healthy on node " + (n + 1) + "; node was " + (during.state() == Nodes.Health.State.LIVE
                ? "still live, commit index " + commitAfter : oneLine(during.toString())));
        // A live node whose cluster view does not answer is still retrying its failed write
        // (for up to 10 s); see how that ends. A node that stopped answering while its disk
        // failed is hung on it: restart that too.
        Nodes.Health after = during;
        if (during.state() == Nodes.Health.State.LIVE) {
            Await.within(Duration.ofSeconds(15), () -> nodes.health(n).state() != Nodes.Health.State.LIVE || nodes.commitIndex(n) >= 0);
            after = nodes.health(n);
            log("node " + (n + 1) + " is " + oneLine(after.toString()) + ", commit index " + nodes.commitIndex(n));
        }
        if (after.state() != Nodes.Health.State.LIVE) {
            log("restart node " + (n + 1));
            nodes.kill(n);
            nodes.start(n);
        }
    }

    static String oneLine(String text) {
        String line = text.replaceAll("\\s+", " ");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    /**
     * A membership change ({@link #member}); on namespaces, half the time while 10-30 % of the
     * packets between the nodes are lost, so that the conf changes, the new member's catch-up
     * (usually by snapshot) and its promotion meet dropped messages and elections.
     */
    private void memberChangeUnderLoss() throws Exception {
        boolean lossy = nodes.network.canPartition() && random.nextBoolean();
        if (lossy) {
            double p = 0.1 + random.nextInt(3) * 0.1;
            log(String.format("packet loss %.0f%% between nodes during the membership change", p * 100));
            nodes.network.lossy(p);
        }
        try {
            member(Alongside.NOTHING);
        } finally {
            if (lossy) {
                log("heal");
                nodes.network.heal();
            }
        }
    }

    /**
     * Removes one member through the leader and adds a new member (new id, empty data) in its
     * slot: as learner, then promoted once it caught up. The removed node runs on for a moment
     * before it is killed, so a member that does not yet know it was removed meets clients.
     * {@code alongside} runs next to each step ({@link MemberStep}).
     */
    private void member(Alongside alongside) throws Exception {
        int victim = target();
        boolean removed;
        alongside.begin(MemberStep.REMOVE, victim);
        try {
            removed = remove(victim);
        } finally {
            alongside.end();
        }
        if (!removed) {
            return;
        }
        Await.pause(Duration.ofMillis(1000 + random.nextInt(2000)));
        if (!running()) {
            // A new member after the workload ended proves nothing and only lengthens the run.
            log("workload over: the removed member of node " + (victim + 1) + " is not replaced");
            return;
        }
        log("kill -9 removed node " + (victim + 1));
        nodes.kill(victim);

        AddedMember added;
        alongside.begin(MemberStep.ADD, victim);
        try {
            added = add(victim);
        } finally {
            alongside.end();
        }
        if (added == null) {
            log("no new member added for node " + (victim + 1) + "; the slot stays empty");
            return;
        }
        log("added learner " + added.id() + " for node " + (victim + 1) + "; starting it");
        nodes.replaceMember(victim, Long.parseUnsignedLong(added.id(), 16), added.clusterId());
        // Started before anything runs alongside, which may kill and restart this very node.
        nodes.start(victim);
        boolean promoted;
        alongside.begin(MemberStep.JOIN, victim);
        try {
            promoted = promote(added.id());
        } finally {
            alongside.end();
        }
        log(promoted ? "promoted " + added.id() + " (node " + (victim + 1) + ") to voter"
                : "learner " + added.id() + " (node " + (victim + 1) + ") not promoted within " + MEMBER_STEP_TIMEOUT.toSeconds() + " s");
    }

    /** Removes the member of slot {@code victim}; true once the others no longer list it. */
    private boolean remove(int victim) {
        String oldHex = Long.toHexString(nodes.memberId(victim));
        // Asked again, through whichever node leads then, while the answer says it did nothing:
        // an election under way, leadership moved on, or a refusal (409) because the leader has
        // not heard from enough of the others lately, as right after a fault healed.
        Answer[] removed = {null};
        boolean asked = Await.within(Duration.ofSeconds(15), () -> {
            int via = nodes.leader();
            if (via < 0) {
                return false;
            }
            // The client follows a 307 (leadership moved on) to the leader it names.
            removed[0] = Answer.of(() -> nodes.admin(via).removeMember(oldHex), 204);
            log("remove member " + oldHex + " (node " + (victim + 1) + ") via node " + (via + 1) + ": " + removed[0]);
            if (removed[0].certainlyNothing() || removed[0].answered(409)) {
                Await.pause(Duration.ofMillis(500));
                return false;
            }
            return true;
        });
        if (!asked || (removed[0].fate() == Answer.Fate.ANSWERED && removed[0].status() != 204)) {
            // No leader took it, or it was refused all along (409: the others would not form a quorum).
            log("membership change skipped");
            return false;
        }
        boolean gone = Await.within(Duration.ofSeconds(10), () -> !knownMember(victim, oldHex));
        if (!gone) {
            log("member " + oldHex + " still in the membership; no replacement");
        }
        return gone;
    }

    /**
     * Adds a learner for slot {@code victim} through whichever node leads, asking again while
     * that fails; null if none was added in time. After an answer that never came, the member
     * may have been added all the same: it is then found by its name rather than added twice.
     */
    private AddedMember add(int victim) {
        String name = "node-" + (victim + 1) + "-" + System.nanoTime();
        AddedMember[] added = {null};
        boolean ok = Await.within(MEMBER_STEP_TIMEOUT, () -> {
            int leader = nodes.leader();
            if (leader < 0 || leader == victim) {
                // The others may still name the removed (now dead) node until they elect anew.
                return false;
            }
            ClusterInfo view = nodes.view(leader);
            if (view != null) {
                added[0] = view.members().stream().filter(m -> m.name().equals(name)).findFirst()
                        .map(m -> new AddedMember(m.id(), view.clusterId())).orElse(null);
                if (added[0] != null) {
                    log("an earlier request added " + name + " as " + added[0].id());
                    return true;
                }
            }
            try {
                added[0] = nodes.admin(leader).addMember(name, nodes.peerUrl(victim), nodes.clientUrl(victim));
                return true;
            } catch (LatchkeyException e) {
                log("add member for node " + (victim + 1) + " via node " + (leader + 1) + ": " + Answer.of(e));
                Await.pause(Duration.ofMillis(500));
                return false;
            }
        });
        return ok ? added[0] : null;
    }

    /** Promotes the learner through whichever node leads; retries while it is catching up. */
    private boolean promote(String idHex) {
        String[] last = {"none"};
        boolean done = Await.within(MEMBER_STEP_TIMEOUT, () -> {
            int leader = nodes.leader();
            if (leader < 0) {
                return false;
            }
            Answer r = Answer.of(() -> nodes.admin(leader).promoteMember(idHex), 204);
            last[0] = r.toString();
            if (r.answered(204)) {
                return true;
            }
            Await.pause(Duration.ofMillis(500));
            return false;
        });
        if (!done) {
            log("last promote answer: " + last[0]);
        }
        return done;
    }

    /** Whether the first other node that answers still lists the member (true if none answers). */
    private boolean knownMember(int victim, String idHex) {
        for (int i = 0; i < nodes.size(); i++) {
            if (i != victim) {
                ClusterInfo view = nodes.view(i);
                if (view != null) {
                    return view.members().stream().anyMatch(m -> m.id().equals(idHex));
                }
            }
        }
        return true;
    }

    private static List<Integer> plus1(Set<Integer> nodes) {
        return nodes.stream().sorted().map(n -> n + 1).toList();
    }
}
