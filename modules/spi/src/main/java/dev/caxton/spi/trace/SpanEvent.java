package dev.caxton.spi.trace;

import java.util.Map;
import java.util.Objects;

/**
 * A point in time inside a span, e.g. the moment a message entered a mailbox.
 *
 * @param name       what happened, e.g. {@code queued}
 * @param epochNanos when, in nanoseconds since the Unix epoch
 * @param attributes details, by attribute name; may be empty
 */
public record SpanEvent(String name, long epochNanos, Map<String, String> attributes) {

    /**
     * Checks the parts and copies the attributes.
     *
     * @throws NullPointerException when a part is null
     */
    public SpanEvent {
        Objects.requireNonNull(name, "name");
        attributes = Map.copyOf(attributes);
    }
}
