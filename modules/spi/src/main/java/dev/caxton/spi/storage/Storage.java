package dev.caxton.spi.storage;

import java.nio.file.Path;
import java.util.List;

/**
 * An open store. Thread-safe.
 */
public interface Storage extends AutoCloseable {

    /** @return the deployed agents */
    AgentStore agents();

    /** @return messages accepted and not yet handled */
    OutboxStore outbox();

    /** @return ids of messages recently handled, for suppressing duplicates */
    HandledStore handled();

    /** @return the durable state of agents */
    CheckpointStore checkpoints();

    /** @return messages that could not be delivered */
    DeadLetterStore deadLetters();

    /** @return the history of conversations */
    ConversationStore conversations();

    /**
     * Applies a batch of changes atomically and durably: when this returns, every change is stored
     * (to the durability the store's settings promise); when it throws, none is. Changes apply in
     * list order, so a later change to the same key wins. The runtime groups the writes of many
     * threads into one call (group commit), so a store should make one call one transaction.
     *
     * @param writes the changes, possibly empty
     * @throws StorageException when the batch cannot be stored; nothing of it is then visible
     */
    void apply(List<StorageWrite> writes);

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
