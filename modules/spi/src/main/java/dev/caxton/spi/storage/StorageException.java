package dev.caxton.spi.storage;

/** A store that could not be opened, read or written. The message says which store and why. */
public class StorageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed
     * @param cause   the underlying failure, or null
     */
    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Creates the exception.
     *
     * @param message what failed
     */
    public StorageException(String message) {
        super(message);
    }
}
