package io.latchkey.api;

/** Ends a request with a problem answer; thrown by resources, mapped by {@link ProblemMapper}. */
public class ProblemException extends RuntimeException {
    private final int status;
    private final String title;
    private final String field;

    public ProblemException(int status, String title, String detail, String field) {
        super(detail);
        this.status = status;
        this.title = title;
        this.field = field;
    }

    /** 400 for a request field that is missing or out of range. */
    public static ProblemException badField(String field, String detail) {
        return new ProblemException(400, "Invalid request", detail, field);
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public String field() {
        return field;
    }
}
