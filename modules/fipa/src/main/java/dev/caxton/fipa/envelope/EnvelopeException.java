package dev.caxton.fipa.envelope;

/** An XML envelope or an MTP body that could not be read, with what was wrong and where. */
public final class EnvelopeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message what was wrong, and where */
    public EnvelopeException(String message) {
        super(message);
    }
}
