package dev.caxton.storage.memory;

import dev.caxton.spi.storage.AgentStore;
import dev.caxton.spi.storage.CheckpointStore;
import dev.caxton.spi.storage.ConversationStore;
import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.HandledStore;
import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageWrite;
import dev.caxton.spi.storage.StoredMessage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The open in-memory store. Every record is copied on the way in and on the way out, so callers
 * that reuse their byte arrays see the same behaviour as with a store that serializes to disk.
 *
 * <p>The stores a batch can touch (outbox, handled ids, dead letters, checkpoints) share one
 * read-write lock, used the other way round from its names: single operations, which are safe
 * together through concurrent maps, share it; {@link #apply} takes it exclusively, so no reader or
 * writer ever sees half a batch, as with a SQL transaction.
 */
final class MemoryStorage implements Storage {

    private volatile boolean closed;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final MemoryAgentStore agents = new MemoryAgentStore(this);
    private final MemoryOutboxStore outbox = new MemoryOutboxStore(this);
    private final MemoryHandledStore handled = new MemoryHandledStore(this);
    private final MemoryCheckpointStore checkpoints = new MemoryCheckpointStore(this);
    private final MemoryDeadLetterStore deadLetters = new MemoryDeadLetterStore(this);
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
    public HandledStore handled() {
        return handled;
    }

    @Override
    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    @Override
    public DeadLetterStore deadLetters() {
        return deadLetters;
    }

    @Override
    public ConversationStore conversations() {
        return conversations;
    }

    /**
     * Checks the whole batch first, then applies it under the exclusive lock: once the checks pass,
     * nothing below can fail, so a batch is applied whole or not at all.
     */
    @Override
    public void apply(List<StorageWrite> writes) {
        Objects.requireNonNull(writes, "writes");
        if (writes.isEmpty()) {
            return;
        }
        lock.writeLock().lock();
        try {
            ensureOpen();
            validate(writes);
            for (StorageWrite w : writes) {
                switch (w) {
                    case StorageWrite.OutboxAdd a -> outbox.put(a.message());
                    case StorageWrite.OutboxRemove r -> outbox.delete(r.receiver(), r.id());
                    case StorageWrite.MarkHandled h -> handled.mark(h.receiver(), h.id(), h.at());
                    case StorageWrite.DeadLetterAdd d -> deadLetters.put(d.message());
                    case StorageWrite.CheckpointHeader h -> checkpoints.header(h);
                    case StorageWrite.CheckpointChunk c -> checkpoints.chunk(c);
                    case StorageWrite.CheckpointDrop d -> checkpoints.drop(d.agent());
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Refuses what the SQLite store refuses, following chunk sizes through the batch as it would change them. */
    private void validate(List<StorageWrite> writes) {
        Map<String, Optional<Integer>> chunkSizes = new HashMap<>();
        for (int i = 0; i < writes.size(); i++) {
            StorageWrite w = writes.get(i);
            String where = " (write " + (i + 1) + " of " + writes.size() + "); nothing of the batch was stored";
            if (w == null) {
                throw new StorageException("memory storage: a batch holds a null write" + where);
            }
            if (w instanceof StorageWrite.CheckpointDrop d) {
                chunkSizes.put(d.agent(), Optional.empty());
            } else if (w instanceof StorageWrite.CheckpointHeader h) {
                if (h.memorySize() < 0 || h.chunkSize() <= 0 || Integer.bitCount(h.chunkSize()) != 1) {
                    throw new StorageException("memory storage: checkpoint of agent " + h.agent() + ": memory size "
                            + h.memorySize() + " and chunk size " + h.chunkSize()
                            + " are not a valid pair (chunk size must be a power of two)" + where);
                }
                Optional<Integer> current = chunkSizes.computeIfAbsent(h.agent(),
                        a -> Optional.ofNullable(checkpoints.chunkSize(a)));
                if (current.isPresent() && current.get() != h.chunkSize()) {
                    throw new StorageException("memory storage: checkpoint of agent " + h.agent()
                            + ": chunk size changes from " + current.get() + " to " + h.chunkSize()
                            + " without dropping the checkpoint first" + where);
                }
                chunkSizes.put(h.agent(), Optional.of(h.chunkSize()));
            }
        }
    }

    /**
     * Runs a single operation of a store a batch can touch, sharing the lock with other such
     * operations and excluding batches.
     *
     * @param work the operation
     * @return its result
     * @throws StorageException when the store is closed
     */
    <T> T shared(Supplier<T> work) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return work.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public boolean durable() {
        return false;
    }

    /** Drops everything; later calls fail rather than silently work on a discarded store. */
    @Override
    public void close() {
        closed = true;
        lock.writeLock().lock();
        try {
            agents.clear();
            outbox.clear();
            handled.clear();
            checkpoints.clear();
            deadLetters.clear();
            conversations.clear();
        } finally {
            lock.writeLock().unlock();
        }
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
     * A copy of a message with its own envelope bytes.
     *
     * @param m the message
     * @return the copy
     */
    static StoredMessage copy(StoredMessage m) {
        return new StoredMessage(m.id(), m.receiver(), m.envelope().clone(), m.reason(), m.attempts(), m.at());
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

    /**
     * Checks the size of a cleanup batch.
     *
     * @param limit the most entries to remove in one call
     * @return the limit
     * @throws IllegalArgumentException when below 1
     */
    static int checkBatch(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        return limit;
    }
}
