package io.latchkey.raft.conformance;

import io.latchkey.raft.RaftTestHooks;
import io.latchkey.raft.datadriven.CmdArg;
import io.latchkey.raft.datadriven.DataDriven;
import io.latchkey.raft.datadriven.TestData;
import io.latchkey.raft.rafttest.Command;
import io.latchkey.raft.rafttest.InteractionEnv;
import io.latchkey.raft.rafttest.InteractionOpts;

/**
 * Runs one interaction file: a fresh {@link InteractionEnv} per file, as etcd's
 * {@code interaction_test.go} does, with the hook that pins randomized election timeouts.
 */
final class InteractionHandler implements DataDriven.Handler {
    private final InteractionEnv env =
            new InteractionEnv(new InteractionOpts(null, RaftTestHooks::setRandomizedElectionTimeout));

    @Override
    public String handle(TestData d) {
        return env.handle(Command.from(d.cmd(), d.cmdArgs(), CmdArg::key, CmdArg::vals, d.input(), d.pos()));
    }
}
