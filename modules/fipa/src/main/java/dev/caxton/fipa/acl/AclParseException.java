package dev.caxton.fipa.acl;

/**
 * An ACL message that does not follow the string representation's grammar, with where it broke.
 */
public final class AclParseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int position;

    /**
     * @param position the character offset (0-based) where the problem was found
     * @param message  what was wrong
     */
    public AclParseException(int position, String message) {
        super(message + " (at character " + position + ")");
        this.position = position;
    }

    /** @return the character offset (0-based) where the problem was found */
    public int position() {
        return position;
    }
}
