package dev.caxton.runtime;

/** Something asked for by id does not exist (a conversation, a dead letter). */
public class NotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was not found
     */
    public NotFoundException(String message) {
        super(message);
    }
}
