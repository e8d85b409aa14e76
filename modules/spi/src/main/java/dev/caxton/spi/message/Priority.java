package dev.caxton.spi.message;

import java.util.Optional;

/**
 * The four delivery classes of a message, most urgent first. Absent means {@link #NORMAL}.
 */
public enum Priority {
    /** Delivered before anything else. */
    CRITICAL("critical"),
    /** Delivered before normal and low. */
    HIGH("high"),
    /** The default class. */
    NORMAL("normal"),
    /** Delivered when nothing more urgent waits, but never starved forever. */
    LOW("low");

    private final String wire;

    Priority(String wire) {
        this.wire = wire;
    }

    /**
     * The spelling used in envelopes.
     *
     * @return e.g. {@code "high"}
     */
    public String wireName() {
        return wire;
    }

    /**
     * Looks a priority up by its wire spelling.
     *
     * @param wire the spelling
     * @return the priority, or empty when unknown
     */
    public static Optional<Priority> fromWire(String wire) {
        for (Priority p : values()) {
            if (p.wire.equals(wire)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return wire;
    }
}
