package dev.caxton.spi.engine;

/**
 * A call used up its {@link InstanceLimits#fuel()}.
 */
public class WasmFuelExhaustedException extends WasmTrapException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     */
    public WasmFuelExhaustedException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what happened
     * @param cause   the engine's own exception, or the exception a host function threw
     */
    public WasmFuelExhaustedException(String message, Throwable cause) {
        super(message, cause);
    }
}
