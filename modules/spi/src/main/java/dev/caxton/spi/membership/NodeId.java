package dev.caxton.spi.membership;

import java.util.Objects;

/**
 * A node's unique, stable id.
 *
 * @param value the id, non-empty
 */
public record NodeId(String value) {

    /** Checks the value. */
    public NodeId {
        Objects.requireNonNull(value, "value");
        if (value.isBlank()) {
            throw new IllegalArgumentException("a node id cannot be blank");
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
