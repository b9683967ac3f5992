package org.edufed.kernel.api.web;

/**
 * Thrown by REST resources for a request the user can correct. The kernel answers it as an RFC 9457
 * problem body ({@code application/problem+json}) with the given status, a stable type and a message in the
 * request's language; nothing of the stack reaches the client.
 */
public class ProblemException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;

    /**
     * @param status HTTP status (4xx)
     * @param type a short stable problem type, e.g. {@code password-change-required}
     * @param detail a message for the user
     */
    public ProblemException(int status, String type, String detail) {
        super(detail);
        this.status = status;
        this.type = type;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }
}
