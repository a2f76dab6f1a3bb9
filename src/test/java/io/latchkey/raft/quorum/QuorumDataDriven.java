package io.latchkey.raft.quorum;

import io.latchkey.raft.datadriven.CmdArg;
import io.latchkey.raft.datadriven.DataDriven;
import io.latchkey.raft.datadriven.TestData;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Handler for etcd's quorum test files (quorum/testdata). Commands:
 * <ul>
 * <li>{@code committed cfg=(ids) [cfgj=(ids)|cfgj=zero] idx=(...)}: prints the commit picture
 * and the committed index of the majority (or, with cfgj, joint) config;
 * <li>{@code vote cfg=(ids) [cfgj=...] votes=(y,n,_...)}: prints the election outcome.
 * </ul>
 * Indexes and votes are listed per distinct voter in order of first appearance in cfg then
 * cfgj; "_" means the voter has not reported (which differs from index 0, so 0 is refused).
 * {@code cfgj=zero} asks for a joint config whose second half is empty.
 *
 * <p>Besides the answer, the handler recomputes it in ways that must agree (a naive
 * algorithm, joining with an empty or identical config, lowering indexes that cannot matter,
 * swapping the halves of a joint config) and prints any disagreement, so the expected outputs
 * also pin down those properties.
 */
public final class QuorumDataDriven implements DataDriven.Handler {
    private static final long VOTE_NO = 1;
    private static final long VOTE_YES = 2;

    @Override
    public String handle(TestData d) {
        boolean joint = false;
        List<Long> ids = new ArrayList<>();
        List<Long> idsj = new ArrayList<>();
        List<Long> idxs = new ArrayList<>();
        // Votes share the index plumbing: 0 = not voted, 1 = no, 2 = yes.
        List<Long> votes = new ArrayList<>();

        for (CmdArg arg : d.cmdArgs()) {
            for (int i = 0; i < arg.vals().size(); i++) {
                switch (arg.key()) {
                    case "cfg" -> ids.add(arg.longVal(i));
                    case "cfgj" -> {
                        joint = true;
                        if (arg.vals().get(i).equals("zero")) {
                            if (arg.vals().size() != 1) {
                                throw d.fatal("cannot mix 'zero' into configuration");
                            }
                        } else {
                            idsj.add(arg.longVal(i));
                        }
                    }
                    case "idx" -> {
                        long n = 0;
                        if (!arg.vals().get(i).equals("_")) {
                            n = arg.longVal(i);
                            if (n == 0) {
                                throw d.fatal("cannot use 0 as idx");
                            }
                        }
                        idxs.add(n);
                    }
                    case "votes" -> votes.add(switch (arg.vals().get(i)) {
                        case "y" -> VOTE_YES;
                        case "n" -> VOTE_NO;
                        case "_" -> 0L;
                        default -> throw d.fatal("unknown vote: %s", arg.vals().get(i));
                    });
                    default -> throw d.fatal("unknown arg %s", arg.key());
                }
            }
        }

        MajorityConfig c = new MajorityConfig();
        ids.forEach(c::add);
        MajorityConfig cj = new MajorityConfig();
        idsj.forEach(cj::add);

        List<Long> input = d.cmd().equals("vote") ? votes : idxs;
        MajorityConfig voters = new JointConfig(c, cj).ids();
        if (voters.size() != input.size()) {
            return String.format("error: mismatched input (explicit or _) for voters %s: %s",
                    goSet(voters), goIndexes(input));
        }

        StringBuilder buf = new StringBuilder();
        switch (d.cmd()) {
            case "committed" -> {
                MapAckIndexer l = lookuper(idxs, ids, idsj);
                if (!joint) {
                    long idx = c.committedIndex(l);
                    buf.append(c.describe(l));
                    long alt = NaiveCommit.committedIndex(c, l);
                    if (alt != idx) {
                        buf.append(Index.toString(alt)).append(" <-- via alternative computation\n");
                    }
                    alt = new JointConfig(c, new MajorityConfig()).committedIndex(l);
                    if (alt != idx) {
                        buf.append(Index.toString(alt)).append(" <-- via zero-joint quorum\n");
                    }
                    alt = new JointConfig(c, c).committedIndex(l);
                    if (alt != idx) {
                        buf.append(Index.toString(alt)).append(" <-- via self-joint quorum\n");
                    }
                    for (long id : c.slice()) {
                        long acked = l.ackedIndex(id);
                        long iidx = acked == AckedIndexer.NOT_FOUND ? 0 : acked;
                        if (idx > iidx && iidx > 0) {
                            // This voter is below the commit index already; pushing it further
                            // down must not change the result.
                            alt = c.committedIndex(overlay(c, l, id, iidx - 1));
                            if (alt != idx) {
                                buf.append(String.format("%s <-- overlaying %d->%d", Index.toString(alt), id, iidx));
                            }
                            alt = c.committedIndex(overlay(c, l, id, 0));
                            if (alt != idx) {
                                buf.append(String.format("%s <-- overlaying %d->0", Index.toString(alt), id));
                            }
                        }
                    }
                    buf.append(Index.toString(idx)).append('\n');
                } else {
                    JointConfig cc = new JointConfig(c, cj);
                    buf.append(cc.describe(l));
                    long idx = cc.committedIndex(l);
                    long alt = new JointConfig(cj, c).committedIndex(l);
                    if (alt != idx) {
                        buf.append(Index.toString(alt)).append(" <-- via symmetry\n");
                    }
                    buf.append(Index.toString(idx)).append('\n');
                }
            }
            case "vote" -> {
                MapAckIndexer ll = lookuper(votes, ids, idsj);
                Map<Long, Boolean> l = new LinkedHashMap<>();
                ll.acked.forEach((id, v) -> l.put(id, v != VOTE_NO));
                if (!joint) {
                    buf.append(c.voteResult(l)).append('\n');
                } else {
                    VoteResult r = new JointConfig(c, cj).voteResult(l);
                    VoteResult ar = new JointConfig(cj, c).voteResult(l);
                    if (ar != r) {
                        buf.append(ar).append(" <-- via symmetry\n");
                    }
                    buf.append(r).append('\n');
                }
            }
            default -> throw d.fatal("unknown command: %s", d.cmd());
        }
        return buf.toString();
    }

    /**
     * Maps the listed values onto the distinct voters in order of appearance; a voter present
     * in both halves takes one value. Zero values stand for "_" and are left out, so those
     * voters count as unknown.
     */
    private static MapAckIndexer lookuper(List<Long> values, List<Long> ids, List<Long> idsj) {
        MapAckIndexer l = new MapAckIndexer();
        int p = 0;
        List<Long> all = new ArrayList<>(ids);
        all.addAll(idsj);
        for (long id : all) {
            if (l.acked.containsKey(id)) {
                continue;
            }
            if (p < values.size()) {
                l.acked.put(id, values.get(p++));
            }
        }
        l.acked.values().removeIf(v -> v == 0);
        return l;
    }

    /** {@code l} restricted to the voters of {@code c}, with {@code id} set to {@code idx}. */
    private static AckedIndexer overlay(MajorityConfig c, AckedIndexer l, long id, long idx) {
        MapAckIndexer ll = new MapAckIndexer();
        for (long iid : c.slice()) {
            if (iid == id) {
                ll.acked.put(iid, idx);
            } else {
                long v = l.ackedIndex(iid);
                if (v != AckedIndexer.NOT_FOUND) {
                    ll.acked.put(iid, v);
                }
            }
        }
        return ll;
    }

    /** Go's %v of a map[uint64]struct{}: "map[1:{} 2:{}]". */
    private static String goSet(MajorityConfig ids) {
        StringJoiner j = new StringJoiner(" ", "map[", "]");
        ids.forEach(id -> j.add(id + ":{}"));
        return j.toString();
    }

    /** Go's %v of a []Index: "[1 2 ∞]". */
    private static String goIndexes(List<Long> idxs) {
        StringJoiner j = new StringJoiner(" ", "[", "]");
        idxs.forEach(i -> j.add(Index.toString(i)));
        return j.toString();
    }
}
