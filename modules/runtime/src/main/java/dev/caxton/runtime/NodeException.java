package dev.caxton.runtime;

/** The node could not start: a provider failed to open, the data directory is unusable. */
public class NodeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed and where
     * @param cause   the underlying failure, or null
     */
    public NodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
