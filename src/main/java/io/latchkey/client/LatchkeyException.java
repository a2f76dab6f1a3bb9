package io.latchkey.client;

/**
 * A request the cluster refused or could not answer: the HTTP status and the RFC 9457 problem
 * the server sent ({@code field} names the request field that was wrong, when one was). Status 0
 * means no member answered before the client's retry deadline.
 */
public class LatchkeyException extends RuntimeException {
    private final int status;
    private final String title;
    private final String field;
    private final boolean notSent;

    public LatchkeyException(int status, String title, String detail, String field) {
        this(status, title, detail, field, null);
    }

    public LatchkeyException(int status, String title, String detail, String field, Throwable cause) {
        this(status, title, detail, field, cause, false);
    }

    private LatchkeyException(int status, String title, String detail, String field, Throwable cause, boolean notSent) {
        super(message(status, title, detail, field), cause);
        this.status = status;
        this.title = title;
        this.field = field;
        this.notSent = notSent;
    }

    /** No member answered; {@code notSent} when no attempt even got a connection. */
    static LatchkeyException noAnswer(String detail, boolean notSent, Throwable cause) {
        return new LatchkeyException(0, "No answer", detail, null, cause, notSent);
    }

    private static String message(int status, String title, String detail, String field) {
        StringBuilder m = new StringBuilder();
        m.append(status == 0 ? "unavailable" : Integer.toString(status));
        if (title != null) {
            m.append(' ').append(title);
        }
        if (detail != null) {
            m.append(": ").append(detail);
        }
        if (field != null) {
            m.append(" (field ").append(field).append(')');
        }
        return m.toString();
    }

    /** The HTTP status, or 0 when no member answered. */
    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    /** The request field the server named as wrong, or null. */
    public String field() {
        return field;
    }

    /**
     * Whether the request certainly reached no member: every attempt failed to connect, so it
     * cannot have taken effect. False for any answer and for a request that was sent and then
     * timed out or lost its connection: a write may then have been applied (status 0 alone does
     * not say which).
     */
    public boolean isNotSent() {
        return notSent;
    }

    /** A compare-and-set or fence that did not hold (412). */
    public boolean isPreconditionFailed() {
        return status == 412;
    }

    public boolean isNotFound() {
        return status == 404;
    }

    /** The caller has no or wrong credentials (401) or lacks the permission (403). */
    public boolean isUnauthorized() {
        return status == 401 || status == 403;
    }
}
