package dev.caxton.spi.engine;

/**
 * A call ran past {@link InstanceLimits#executionTimeout()} and was interrupted.
 */
public class WasmTimeoutException extends WasmTrapException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     */
    public WasmTimeoutException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what happened
     * @param cause   the engine's own exception, or the exception a host function threw
     */
    public WasmTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
