package dev.caxton.spi.message;

/**
 * An envelope that breaks the ABI's rules: a missing or unknown performative, a field of the wrong
 * type, an unknown field. The message names the field and says what was expected.
 */
public class InvalidEnvelopeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * Creates the exception.
     *
     * @param field   the envelope field at fault (wire spelling), or empty for the whole envelope
     * @param message what is wrong
     */
    public InvalidEnvelopeException(String field, String message) {
        super(field == null || field.isEmpty() ? message : "field '" + field + "': " + message);
        this.field = field == null ? "" : field;
    }

    /**
     * The field at fault.
     *
     * @return the wire name of the field, or empty
     */
    public String field() {
        return field;
    }
}
