/**
 * Latchkey's deterministic state machine: config keys with a watch history, leases, and locks
 * with FIFO waiters and fencing tokens. Pure Java and protobuf: no I/O, no clock, no threads.
 * Commands, results and the snapshot are defined in {@code state.proto}.
 *
 * <h2>Determinism</h2>
 * Every replica applies the same commands in the same order and must reach the same state and
 * return the same results. So: only sorted maps are iterated; lease ids, tickets and tokens
 * come from counters in the state; validation ({@link io.latchkey.state.Limits}) uses no
 * JVM-dependent tables; a command that fails a check changes nothing (apart from the lease
 * clock, below); and the snapshot lists everything in sorted order, so equal states have equal
 * snapshot bytes.
 *
 * <h2>Revisions</h2>
 * One global counter. Each state change takes the next revision: a key put or delete, a lease
 * grant or revoke, a lock grant, release, queueing or withdrawal. A command may take several
 * (a revoke that deletes two keys and hands a lock to a waiter takes four). Hence every watch
 * event has its own revision, and a lock's fencing token, the revision of its grant, is
 * strictly greater than every earlier grant's, across all locks. Keep-alives, renewals and
 * expiry scans move deadlines, not data, and take none.
 *
 * <h2>Time</h2>
 * The state machine never reads a clock. Time enters only as the {@code LeaderStamp} on each
 * command: the proposing leader's term and its <em>lease clock</em>, in milliseconds.
 * <ol>
 *   <li><b>The leader's lease clock.</b> When a replica becomes leader and has applied the
 *       entries of earlier terms, it reads {@link io.latchkey.state.StateView#leaseClockMillis()}
 *       as its base and from then on stamps {@code base + (monotonic now - monotonic at
 *       takeover)}. Only the leader stamps; a follower's
 *       proposals reach it unstamped and it stamps them before appending.</li>
 *   <li><b>The replicated lease clock</b> is the largest stamp applied so far, except that a
 *       stamp whose term is older than the lease term (below) is ignored. It never goes back.
 *       Time that passes while there is no leader is not counted at all.</li>
 *   <li><b>Deadlines.</b> A grant or keep-alive sets a lease's deadline to at least the
 *       replicated clock (just advanced by the command's own stamp) plus the full TTL, and
 *       never moves a deadline earlier.</li>
 *   <li><b>A new leader renews first.</b> Before anything else that concerns leases, a leader
 *       of term T proposes {@code RenewAllLeases} stamped with T: every lease's deadline
 *       becomes at least now + TTL (extension only, as etcd does), and the lease term becomes
 *       T. Clients could not reach any leader to send keep-alives during the election; this
 *       gives each of them a full TTL to find the new one.</li>
 *   <li><b>Expiry is a committed decision.</b> The leader calls
 *       {@link io.latchkey.state.StateView#expiredLeases(long)} with its lease clock and
 *       proposes {@code ExpireLeases} with those ids. When it applies, each listed lease is
 *       revoked only if it still exists and its deadline is not after the replicated clock,
 *       so a keep-alive committed in between wins. An {@code ExpireLeases} whose term is not
 *       the lease term is refused: a deposed leader's late entry, or a new leader that has
 *       not renewed yet, cannot expire anything.</li>
 * </ol>
 * <b>Why this is safe.</b> A client that sends a keep-alive at real time t may count on its
 * lease until t + TTL by its own clock (minus drift). The leader stamps the keep-alive at s ≥
 * its clock's reading at t, so the deadline is ≥ s + TTL. The replicated clock reaches that
 * deadline only through a stamp of the current lease term, that is from a leader whose clock
 * has run at least TTL since s — a deposed leader's stamps are ignored, and a new leader's
 * clock starts at the replicated clock, not ahead of it, and renews first. So no replica
 * treats a lease as expired before the leader-side deadline; leader changes, ignored stamps
 * and clamping only ever make leases last longer. Remaining times shown to clients are
 * measured on the same clock and are therefore never too short on the leader.
 *
 * <h2>Watch</h2>
 * The last key events (bounded by {@link io.latchkey.state.StateConfig} in count and bytes)
 * are part of the replicated state and of the snapshot, so any replica, even one restored
 * from a snapshot, serves {@link io.latchkey.state.StateView#eventsSince} alike, or says
 * "compacted". New events reach the REST layer through {@link io.latchkey.state.StateListener}.
 */
package io.latchkey.state;
