package dev.caxton.spi.engine;

/**
 * The guest trapped (unreachable, division by zero, out-of-bounds access, stack exhaustion...) or a host function threw; the invocation is over and the instance should be discarded.
 */
public class WasmTrapException extends WasmException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     */
    public WasmTrapException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what happened
     * @param cause   the engine's own exception, or the exception a host function threw
     */
    public WasmTrapException(String message, Throwable cause) {
        super(message, cause);
    }
}
