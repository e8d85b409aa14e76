package dev.caxton.spi.storage;

import java.nio.file.Path;

/**
 * An open store. Thread-safe.
 */
public interface Storage extends AutoCloseable {

    /** @return the deployed agents */
    AgentStore agents();

    /** @return messages accepted and not yet delivered */
    OutboxStore outbox();

    /** @return messages that could not be delivered */
    DeadLetterStore deadLetters();

    /** @return the history of conversations */
    ConversationStore conversations();

    /**
     * Writes a consistent copy of the whole store to a new file while the store stays in use, so
     * that a node can be started on the copy later.
     *
     * @param target the file to create; it must not exist
     * @throws UnsupportedOperationException when the store keeps nothing a file could hold (a
     *         store in memory), with a message saying so
     * @throws StorageException when the copy fails; a partial target is removed
     */
    default void backup(Path target) {
        throw new UnsupportedOperationException("this storage cannot be backed up to a file");
    }

    /**
     * Whether what is written survives a restart of the node.
     *
     * @return true for file- or server-backed stores
     */
    boolean durable();

    /** Flushes and releases the store. */
    @Override
    void close();
}
