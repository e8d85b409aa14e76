package dev.caxton.spi.engine;

/**
 * Base of every failure an engine reports about a module or an instance. Unchecked: callers decide where containment happens.
 */
public class WasmException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     */
    public WasmException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what happened
     * @param cause   the engine's own exception, or the exception a host function threw
     */
    public WasmException(String message, Throwable cause) {
        super(message, cause);
    }
}
