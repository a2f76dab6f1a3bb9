/**
 * Checkers for histories recorded by Latchkey's fault-injection tests.
 *
 * <p>How a harness uses them:
 * <ol>
 *   <li>Record: one {@link io.latchkey.jepsen.checker.HistoryRecorder} per run on one monotonic
 *       clock; each client calls {@code invoke} before sending and exactly one of {@code ok},
 *       {@code fail}, {@code info} after. A timeout or lost connection is {@code info}, never
 *       dropped; a checkable refusal (412, 409, 404) is {@code ok} with
 *       {@link io.latchkey.jepsen.checker.Result.Rejected}.</li>
 *   <li>Store: {@link io.latchkey.jepsen.checker.HistoryFile#write} to
 *       {@code target/jepsen/<seed>/history.jsonl}, so a failure can be re-checked offline.</li>
 *   <li>Check: {@link io.latchkey.jepsen.checker.LinearizabilityChecker} with
 *       {@link io.latchkey.jepsen.checker.RegisterModel} (config keys) and
 *       {@link io.latchkey.jepsen.checker.FencedResourceModel} (locks and fenced writes; or
 *       {@link io.latchkey.jepsen.checker.LockModel} alone when nothing is fenced), then
 *       {@link io.latchkey.jepsen.checker.RevisionCounterChecker} (the global counter across
 *       objects) and {@link io.latchkey.jepsen.checker.SerializableReadChecker} (stale-allowed
 *       reads). A run passes when every verdict is LINEARIZABLE and no violation is listed; an
 *       UNKNOWN verdict means the budget was too small, not that the run passed.</li>
 * </ol>
 */
package io.latchkey.jepsen.checker;
