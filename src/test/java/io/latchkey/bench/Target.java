package io.latchkey.bench;

/** A system under test: how its clients perform each scenario's operation. */
interface Target extends AutoCloseable {
    String name();

    /** How clients reach the nodes, for the report. */
    String routing();

    /** Whether the system has this scenario (ZooKeeper and etcd have no lease-based read). */
    boolean supports(Scenario scenario);

    /** Creates what the scenario needs before its clients start (e.g. the keys a get reads). */
    void prepare(Scenario scenario) throws Exception;

    LoadHarness.Client client(Scenario scenario, int index) throws Exception;

    /**
     * Where the point ran, for the log, or null: in spread mode a single client's figures depend
     * on whether its node leads (a follower's linearizable read costs a round trip to the leader).
     */
    default String placement() throws Exception {
        return null;
    }

    /** Requests retried so far after an answer that said retry (counted as errors of the point they fall in). */
    default long retries() {
        return 0;
    }

    @Override
    void close() throws Exception;
}
