package dev.caxton.runtime.api;

/** A message the router refused, with the status that says why. */
public class RoutingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final SendStatus status;
    private final String field;

    /**
     * Creates the exception.
     *
     * @param status  why
     * @param field   the envelope field at fault, or empty
     * @param message a sentence for the sender
     */
    public RoutingException(SendStatus status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field == null ? "" : field;
    }

    /** @return why the message was refused */
    public SendStatus status() {
        return status;
    }

    /** @return the envelope field at fault, or empty */
    public String field() {
        return field;
    }
}
