package dev.caxton.plugin.storage.memory;

import dev.caxton.spi.storage.AgentStore;
import dev.caxton.spi.storage.ConversationStore;
import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageException;

/**
 * The open in-memory store. Every record is copied on the way in and on the way out, so callers
 * that reuse their byte arrays see the same behaviour as with a store that serializes to disk.
 */
final class MemoryStorage implements Storage {

    private volatile boolean closed;
    private final MemoryAgentStore agents = new MemoryAgentStore(this);
    private final MessageQueue outbox = new MessageQueue(this, false);
    private final MessageQueue deadLetters = new MessageQueue(this, true);
    private final MemoryConversationStore conversations = new MemoryConversationStore(this);

    @Override
    public AgentStore agents() {
        return agents;
    }

    @Override
    public OutboxStore outbox() {
        return outbox;
    }

    @Override
    public DeadLetterStore deadLetters() {
        return deadLetters;
    }

    @Override
    public ConversationStore conversations() {
        return conversations;
    }

    @Override
    public boolean durable() {
        return false;
    }

    /** Drops everything; later calls fail rather than silently work on a discarded store. */
    @Override
    public void close() {
        closed = true;
        agents.clear();
        outbox.clear();
        deadLetters.clear();
        conversations.clear();
    }

    /**
     * Fails when the store was closed.
     *
     * @throws StorageException when closed
     */
    void ensureOpen() {
        if (closed) {
            throw new StorageException("the memory storage is closed");
        }
    }

    /**
     * Checks a list limit.
     *
     * @param limit the limit
     * @return the limit
     * @throws IllegalArgumentException when negative
     */
    static int checkLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + limit);
        }
        return limit;
    }
}
