package io.latchkey.client;

import java.util.List;

/** Held locks by prefix, in name order. */
public record LockList(List<LockInfo> locks) {
}
