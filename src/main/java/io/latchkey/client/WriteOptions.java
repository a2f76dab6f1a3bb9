package io.latchkey.client;

/**
 * Preconditions and attachments of a put or delete, all optional: compare-and-set on the key's
 * mod revision ({@code 0} = the key must not exist), a {@link Fence}, and (puts only) a lease the
 * key lives and dies with.
 */
public record WriteOptions(Long expectedRevision, Fence fence, Long leaseId) {
    public static WriteOptions none() {
        return new WriteOptions(null, null, null);
    }

    /** Compare-and-set: only if the key's mod revision is still {@code revision} (0: only if absent). */
    public WriteOptions expectRevision(long revision) {
        return new WriteOptions(revision, fence, leaseId);
    }

    public WriteOptions fence(Fence f) {
        return new WriteOptions(expectedRevision, f, leaseId);
    }

    public WriteOptions lease(long id) {
        return new WriteOptions(expectedRevision, fence, id);
    }

    String query() {
        StringBuilder q = new StringBuilder();
        if (expectedRevision != null) {
            q.append("&expectedRevision=").append(expectedRevision);
        }
        if (leaseId != null) {
            q.append("&leaseId=").append(leaseId);
        }
        if (fence != null) {
            q.append("&lock=").append(Paths.query(fence.lock())).append("&token=").append(fence.token());
        }
        return q.isEmpty() ? "" : "?" + q.substring(1);
    }
}
