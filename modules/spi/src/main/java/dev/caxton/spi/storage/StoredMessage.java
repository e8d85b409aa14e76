package dev.caxton.spi.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * A message held by a store: its id, who it is for, and its encoded envelope.
 *
 * @param id         the message id (unique among dead letters; unique with the receiver in the outbox)
 * @param receiver   the receiving agent's name, or the capability when addressed by capability; in the
 *                   outbox, who must handle or acknowledge it (an agent, or another node for a
 *                   message forwarded there)
 * @param envelope   the envelope, encoded by the node's serializer
 * @param reason     why it is stored (for dead letters: the failure; empty for the outbox)
 * @param attempts   delivery attempts made so far
 * @param at         when it was stored
 */
public record StoredMessage(String id, String receiver, byte[] envelope, String reason, int attempts, Instant at) {

    /** Checks the parts. */
    public StoredMessage {
        Objects.requireNonNull(id, "id");
        receiver = receiver == null ? "" : receiver;
        Objects.requireNonNull(envelope, "envelope");
        reason = reason == null ? "" : reason;
        Objects.requireNonNull(at, "at");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredMessage m && id.equals(m.id) && receiver.equals(m.receiver)
                && java.util.Arrays.equals(envelope, m.envelope) && reason.equals(m.reason)
                && attempts == m.attempts && at.equals(m.at);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, receiver, reason, attempts, at) * 31 + java.util.Arrays.hashCode(envelope);
    }

    @Override
    public String toString() {
        return "StoredMessage[" + id + " -> " + receiver + ", " + envelope.length + " bytes, reason=" + reason
                + ", attempts=" + attempts + ", at=" + at + "]";
    }
}
