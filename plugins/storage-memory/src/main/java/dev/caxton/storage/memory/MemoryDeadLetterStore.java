package dev.caxton.storage.memory;

import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.StoredMessage;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The dead letters, keyed by id, listed newest first. */
final class MemoryDeadLetterStore implements DeadLetterStore {

    private final MemoryStorage owner;
    private final AgeIndex<String, StoredMessage> messages = new AgeIndex<>();

    MemoryDeadLetterStore(MemoryStorage owner) {
        this.owner = owner;
    }

    @Override
    public void add(StoredMessage message) {
        Objects.requireNonNull(message, "message");
        owner.shared(() -> {
            put(message);
            return null;
        });
    }

    /** Adds without taking the lock; the caller holds it. */
    void put(StoredMessage message) {
        StoredMessage stored = MemoryStorage.copy(message);
        messages.put(stored.id(), stored, stored.at());
    }

    @Override
    public Optional<StoredMessage> get(String id) {
        Objects.requireNonNull(id, "id");
        return owner.shared(() -> messages.get(id).map(MemoryStorage::copy));
    }

    @Override
    public List<StoredMessage> list(int limit) {
        MemoryStorage.checkLimit(limit);
        return owner.shared(() -> messages.first(limit, true).stream().map(MemoryStorage::copy).toList());
    }

    @Override
    public boolean remove(String id) {
        Objects.requireNonNull(id, "id");
        return owner.shared(() -> messages.remove(id));
    }

    @Override
    public int removeOlderThan(Instant cutoff, int limit) {
        Objects.requireNonNull(cutoff, "cutoff");
        MemoryStorage.checkBatch(limit);
        return owner.shared(() -> messages.removeOlderThan(cutoff, limit).size());
    }

    @Override
    public long count() {
        return owner.shared(messages::count);
    }

    void clear() {
        messages.clear();
    }
}
