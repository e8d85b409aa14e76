package dev.caxton.spi.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * One change in a batch given to {@link Storage#apply}: the batch is applied atomically, so the
 * runtime can complete a message (remove it from the outbox, remember it as handled, checkpoint
 * the agent's state, queue what the agent sent) in a single step that a crash either keeps whole or
 * loses whole. The set of changes is closed so that a store handles every kind.
 */
public sealed interface StorageWrite {

    /**
     * Adds a message to the outbox (replacing one with the same receiver and id).
     *
     * @param message the message
     */
    record OutboxAdd(StoredMessage message) implements StorageWrite {
        /** Checks the part. */
        public OutboxAdd {
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * Removes a message from the outbox; nothing happens when it is not there.
     *
     * @param receiver the receiver it was stored for
     * @param id       the message id
     */
    record OutboxRemove(String receiver, String id) implements StorageWrite {
        /** Checks the parts. */
        public OutboxRemove {
            Objects.requireNonNull(receiver, "receiver");
            Objects.requireNonNull(id, "id");
        }
    }

    /**
     * Remembers that a receiver handled a message (replacing an earlier mark).
     *
     * @param receiver the receiving agent
     * @param id       the message id
     * @param at       when
     */
    record MarkHandled(String receiver, String id, Instant at) implements StorageWrite {
        /** Checks the parts. */
        public MarkHandled {
            Objects.requireNonNull(receiver, "receiver");
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * Adds a dead letter (replacing one with the same id).
     *
     * @param message the message with its reason
     */
    record DeadLetterAdd(StoredMessage message) implements StorageWrite {
        /** Checks the part. */
        public DeadLetterAdd {
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * Writes the header of an agent's checkpoint: its module, memory size, globals and version.
     * Chunks at or past {@code memorySize} are removed; chunks not written in the same batch keep
     * their earlier content.
     *
     * @param agent        the agent
     * @param moduleDigest the module the state belongs to
     * @param memorySize   the memory size in bytes
     * @param chunkSize    the chunk size in bytes; a change of chunk size must come with a
     *                     {@link CheckpointDrop} first in the same batch
     * @param globals      the mutable globals
     * @param version      the checkpoint's version
     */
    record CheckpointHeader(String agent, String moduleDigest, long memorySize, int chunkSize, long[] globals,
                            long version) implements StorageWrite {
        /** Checks and copies the parts. */
        public CheckpointHeader {
            Objects.requireNonNull(agent, "agent");
            Objects.requireNonNull(moduleDigest, "moduleDigest");
            globals = globals.clone();
        }

        @Override
        public long[] globals() {
            return globals.clone();
        }
    }

    /**
     * Writes one chunk of an agent's memory.
     *
     * @param agent the agent
     * @param index the chunk index (its offset divided by the chunk size)
     * @param bytes the content, or null when the chunk is all zeros (it is then removed)
     */
    record CheckpointChunk(String agent, int index, byte[] bytes) implements StorageWrite {
        /** Checks the parts. */
        public CheckpointChunk {
            Objects.requireNonNull(agent, "agent");
            if (index < 0) {
                throw new IllegalArgumentException("index cannot be negative");
            }
        }
    }

    /**
     * Removes an agent's checkpoint, header and chunks.
     *
     * @param agent the agent
     */
    record CheckpointDrop(String agent) implements StorageWrite {
        /** Checks the part. */
        public CheckpointDrop {
            Objects.requireNonNull(agent, "agent");
        }
    }
}
