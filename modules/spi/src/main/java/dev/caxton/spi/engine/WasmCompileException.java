package dev.caxton.spi.engine;

/**
 * Bytes that are not a valid module: malformed binary, failed validation, unsupported feature. The message says which.
 */
public class WasmCompileException extends WasmException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     */
    public WasmCompileException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what happened
     * @param cause   the engine's own exception, or the exception a host function threw
     */
    public WasmCompileException(String message, Throwable cause) {
        super(message, cause);
    }
}
