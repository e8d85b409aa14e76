package dev.caxton.spi.serializer;

/**
 * Bytes that could not be decoded, or a value that could not be encoded. The message says what was
 * wrong and where, for instance {@code "truncated input: string of 40 bytes declared at offset 12,
 * only 3 remain"} or {@code "field 'performative': required field is missing"}.
 */
public class SerializationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong and where
     */
    public SerializationException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what was wrong and where
     * @param cause   the underlying failure
     */
    public SerializationException(String message, Throwable cause) {
        super(message, cause);
    }
}
