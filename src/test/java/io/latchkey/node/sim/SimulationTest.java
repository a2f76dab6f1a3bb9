package io.latchkey.node.sim;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs seeded simulations of 3- and 5-replica clusters under every fault the simulator
 * knows, for a fixed budget of wall-clock time. {@code -Dlatchkey.sim.seed=N} replays one
 * seed (each test with its own faults); {@code -Dlatchkey.sim.budget-seconds=N} and
 * {@code -Dlatchkey.sim.lease-budget-seconds=N} change the budgets (e.g. for a soak);
 * {@code -Dlatchkey.sim.trace-dir=DIR} writes each seed's Raft events as ndjson in etcd's trace
 * format (see {@link SimTraceFile}), best with one replayed seed.
 */
@Tag("simulation")
class SimulationTest {
    private static final long SIMULATED_MICROS = 3_000 * SimCluster.TICK_MICROS;

    @Test
    void clustersStaySafeUnderPartitionsCrashesAndDiskFaults() {
        runSeeds("simulation", 1, Long.getLong("latchkey.sim.budget-seconds", 20), SimCluster.Faults.all(), SimCluster.Workload.MIXED);
    }

    /**
     * Lease reads (half of all reads) while leadership moves: transfers, ForgetLeader and
     * partitions of the leader, with every node's clock at its own rate. The history check
     * catches a stale read, as the register test once saw after a transfer. With the transfer
     * fix removed from {@code Raft.leaseValid} (no lease while a transfer is under way or after
     * MsgTimeoutNow), 6 of seeds 1000001..1000040 found a stale lease read (1000016, 1000019,
     * 1000026, 1000027, 1000032, 1000040); with it, none.
     */
    @Test
    void leaseReadsStayLinearizableWhileLeadershipMoves() {
        runSeeds("simulation (leadership changes)", 1_000_001, Long.getLong("latchkey.sim.lease-budget-seconds", 10),
                SimCluster.Faults.partitionsAndLeadershipChanges(), SimCluster.Workload.MIXED);
    }

    /**
     * Lease reads of a read-mostly workload while followers are told to forget their leader
     * just as a node cut off from that leader asks for their vote (SimCluster's ForgetLeader
     * attack). Followers must refuse (issue 15, item 1). With that refusal removed from
     * {@code Raft} (case MsgForgetLeader, the CheckQuorum branch), seeds 2000001..2000040 found
     * a stale lease read in 35 of 40 (e.g. 2000001: a lease read on node 5 saw 10 after a
     * write at 11 was acknowledged by the new leader); with it, none of them did (0 of 40,
     * 6,229 vote requests met by a ForgetLeader).
     */
    @Test
    void leaseReadsStayLinearizableWhenFollowersForgetTheirLeader() {
        runSeeds("simulation (ForgetLeader at vote requests)", 2_000_001, Long.getLong("latchkey.sim.lease-budget-seconds", 10),
                SimCluster.Faults.forgetLeaderAttacks(), SimCluster.Workload.READ_MOSTLY);
    }

    /** Seeds from {@code firstSeed} on, for the budget, or the one seed to replay if one is given. */
    private static void runSeeds(String name, long firstSeed, long budgetSeconds, SimCluster.Faults faults,
                                 SimCluster.Workload workload) {
        String replay = System.getProperty("latchkey.sim.seed", "");
        if (!replay.isEmpty()) {
            long seed = Long.parseLong(replay);
            new SimCluster(seed, 3 + (int) Math.floorMod(seed, 2) * 2).run(SIMULATED_MICROS, faults, workload);
            return;
        }
        long budgetNanos = budgetSeconds * 1_000_000_000L;
        long started = System.nanoTime();
        long seeds = 0;
        long acknowledged = 0;
        long crashes = 0;
        long forgets = 0;
        for (long seed = firstSeed; System.nanoTime() - started < budgetNanos; seed++) {
            SimCluster cluster = new SimCluster(seed, 3 + (int) (seed % 2) * 2);
            cluster.run(SIMULATED_MICROS, faults, workload);
            seeds++;
            acknowledged += cluster.operationsAcknowledged;
            crashes += cluster.crashes;
            forgets += cluster.forgetLeaderAtVote;
        }
        System.out.printf("%s: %d seeds, %d acknowledged writes, %d crashes, %d ForgetLeader at a vote request, 0 violations%n",
                name, seeds, acknowledged, crashes, forgets);
        assertThat(seeds).isPositive();
        assertThat(acknowledged).as("the workload made progress").isPositive();
        if (faults.forgetfulFollowers()) {
            assertThat(forgets).as("the attack reached followers asked for their vote").isPositive();
        }
    }

    @Test
    void aSeedReplaysExactly() {
        SimCluster first = new SimCluster(42, 5);
        first.run(SIMULATED_MICROS / 3, SimCluster.Faults.all());
        SimCluster second = new SimCluster(42, 5);
        second.run(SIMULATED_MICROS / 3, SimCluster.Faults.all());
        assertThat(second.fingerprint()).isEqualTo(first.fingerprint());
    }
}
