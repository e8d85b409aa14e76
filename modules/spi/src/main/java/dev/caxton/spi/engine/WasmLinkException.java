package dev.caxton.spi.engine;

/**
 * Instantiation failed because an import is missing, of the wrong kind or the wrong signature. The message names the import.
 */
public class WasmLinkException extends WasmException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     */
    public WasmLinkException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what happened
     * @param cause   the engine's own exception, or the exception a host function threw
     */
    public WasmLinkException(String message, Throwable cause) {
        super(message, cause);
    }
}
