package dev.caxton.spi;

/**
 * A configuration value that is missing, of the wrong type, out of range or not allowed. The message
 * always names the full key (for example {@code storage.sqlite.busy_timeout}) and says what is
 * allowed, because an operator reads it at startup with nothing else to go on.
 */
public class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String key;

    /**
     * Creates the exception.
     *
     * @param key     the full dotted key the problem is about (may be empty for the whole file)
     * @param message what is wrong and what is allowed
     */
    public ConfigException(String key, String message) {
        super(key == null || key.isEmpty() ? message : key + ": " + message);
        this.key = key == null ? "" : key;
    }

    /**
     * The full dotted key the problem is about.
     *
     * @return the key, or an empty string when the problem concerns the whole file
     */
    public String key() {
        return key;
    }
}
