package dev.caxton.storage.memory;

import dev.caxton.spi.storage.HandledStore;
import java.time.Instant;
import java.util.Objects;

/** Handled message ids per receiver, forgotten oldest first. */
final class MemoryHandledStore implements HandledStore {

    private final MemoryStorage owner;
    private final AgeIndex<MemoryOutboxStore.Key, Instant> marks = new AgeIndex<>();

    MemoryHandledStore(MemoryStorage owner) {
        this.owner = owner;
    }

    /** Marks without taking the lock; the caller holds it. */
    void mark(String receiver, String id, Instant at) {
        marks.put(new MemoryOutboxStore.Key(receiver, id), at, at);
    }

    @Override
    public boolean contains(String receiver, String id) {
        Objects.requireNonNull(receiver, "receiver");
        Objects.requireNonNull(id, "id");
        return owner.shared(() -> marks.get(new MemoryOutboxStore.Key(receiver, id)).isPresent());
    }

    @Override
    public int removeOlderThan(Instant cutoff, int limit) {
        Objects.requireNonNull(cutoff, "cutoff");
        MemoryStorage.checkBatch(limit);
        return owner.shared(() -> marks.removeOlderThan(cutoff, limit).size());
    }

    @Override
    public long count() {
        return owner.shared(marks::count);
    }

    void clear() {
        marks.clear();
    }
}
