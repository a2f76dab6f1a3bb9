/**
 * A Java port of etcd-io/raft: the Raft consensus algorithm as a deterministic state machine,
 * with no disk, network, clock or threads of its own ({@link io.latchkey.raft.Node} aside).
 *
 * <p>The application drives a {@link io.latchkey.raft.RawNode} (or a {@link io.latchkey.raft.Node})
 * and, for each {@link io.latchkey.raft.Ready} it hands out, does four things in this order:
 * <ol>
 *   <li>Persist the entries, hard state and snapshot, durably when {@code mustSync}. Raft's
 *       safety rests on this: a vote or an acknowledged entry that is forgotten after a crash
 *       can elect two leaders or lose a committed write.</li>
 *   <li>Send the messages. They may promise what step 1 made durable, so not before it (a
 *       leader may send its appends while persisting the same entries: it counts itself only
 *       after they are durable).</li>
 *   <li>Apply the snapshot and the committed entries to the state machine, and conf changes
 *       through {@code applyConfChange}.</li>
 *   <li>Call {@code advance}, which tells the node all of the above is done.</li>
 * </ol>
 * With {@link io.latchkey.raft.Config#asyncStorageWrites} the same work arrives as messages to
 * local append and apply threads instead, and their responses replace {@code advance}.
 *
 * <h2>Lease reads</h2>
 * Beyond etcd, a read may ask for the leader lease ({@link io.latchkey.raft.RawNode#readIndex(
 * com.google.protobuf.ByteString, io.latchkey.raft.ReadOnlyOption)}): the leader answers from its
 * commit index without a heartbeat round, which is linearizable only if no other leader can
 * exist at that moment. Any leader with CheckQuorum serves them, whatever its configured
 * {@link io.latchkey.raft.ReadOnlyOption}; without CheckQuorum they fall back to ReadIndex.
 * What the lease rests on:
 * <ol>
 *   <li><b>The followers' promise.</b> With CheckQuorum a follower that heard from its leader
 *       (any append or heartbeat) grants no vote and no pre-vote for a higher term until one
 *       election timeout ({@code electionTick} of its own ticks) has passed without hearing from
 *       it again (the in-lease check of {@code Raft.step}, thesis §4.2.3). It cannot campaign
 *       itself before then either: its randomized timeout is at least {@code electionTick}.</li>
 *   <li><b>The leader's evidence.</b> Heartbeats carry the leader's tick and followers echo it
 *       ({@code ReadOnly}). Once a quorum (the leader included) echoed ticks of t or later, each
 *       member of that quorum received a message sent at or after tick t and so promised not
 *       to vote before {@code electionTick - 1} of its own tick periods after that (the first
 *       of its ticks may come at once). A committed entry of the leader's term is such evidence
 *       too, for the tick of its election: a quorum acknowledged an append sent after it.
 *       Every possible new leader needs a vote from that quorum (quorums intersect, in joint
 *       configurations too), so none exists before the promise runs out.</li>
 *   <li><b>Bounded clock drift.</b> The leader trusts the evidence until its own tick
 *       {@code t + electionTick - leaseMarginTicks}, which comes at most
 *       {@code electionTick - leaseMarginTicks} of its tick periods after the heartbeat left. So
 *       the lease is safe if, for any two nodes, {@code (electionTick - leaseMarginTicks) *
 *       leaderTickPeriod <= (electionTick - 1) * followerTickPeriod}: tick rates may differ by
 *       a factor of {@code (electionTick - 1) / (electionTick - leaseMarginTicks)}, 12.5% with
 *       10 election ticks and the default margin (see {@link io.latchkey.raft.Config#leaseMarginTicks()}).
 *       Like etcd's and the thesis' leases (§6.4.1) this is an assumption on the clocks, not
 *       something the algorithm can check: a node whose ticks stop (a paused process) or race
 *       (a clock jump) breaks it unless the application delivers ticks from a monotonic clock
 *       and catches up missed ticks before stepping a lease read. (Latchkey's
 *       {@code ReplicaLoop} may deliver missed ticks late, in bursts of half an election
 *       timeout, so that a paused node reads its messages before it times out; late ticks only
 *       make followers keep their promise longer, and the leader takes all due ticks before it
 *       decides on a lease read.)</li>
 *   <li><b>Promises survive restarts.</b> A follower forgets its leader when it restarts; the
 *       application must not let it vote for an election timeout after a start (Latchkey's
 *       {@code Replica} ignores vote requests for that long).</li>
 * </ol>
 * What would break the promise, and how it is prevented:
 * <ul>
 *   <li><b>Leader transfer.</b> The transferee's vote requests carry the transfer context and
 *       are granted inside the lease (etcd's {@code force}). So a leader serves no lease read
 *       while a transfer is in progress, and once it has sent {@code MsgTimeoutNow} its lease is
 *       void for the rest of its term ({@code Raft.leaseSurrendered}): the message may be
 *       delayed and start the election after the transfer was aborted and heartbeats
 *       renewed the lease. Such an election can only be for the next term and only a leader
 *       of this term can send the message, so the next term's leaders are unaffected. A
 *       transfer aborted before {@code MsgTimeoutNow} left needs a fresh quorum of heartbeats
 *       sent after the abort. Lease reads meanwhile go through ReadIndex.</li>
 *   <li><b>ForgetLeader.</b> It makes a follower drop its leader, and with it the in-lease
 *       check. A follower with CheckQuorum refuses it (etcd refuses it only when the configured
 *       option is ReadOnlyLeaseBased, but here any CheckQuorum leader may serve lease reads).</li>
 *   <li><b>Manual campaigns.</b> {@code RawNode.campaign} on a follower that heard from its
 *       leader within an election timeout breaks that follower's promise (its own vote). As in
 *       etcd it is an operator's override; Latchkey calls it only in tests.</li>
 *   <li><b>A new leader.</b> Lease evidence belongs to a term: it is dropped on every state
 *       change, and a leader has none until a quorum answers it.</li>
 * </ul>
 */
package io.latchkey.raft;
