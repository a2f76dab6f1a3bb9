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
 */
package io.latchkey.raft;
