package dev.caxton.storage.memory;

import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.StoredMessage;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/** The outbox, keyed by receiver and id, served oldest first. */
final class MemoryOutboxStore implements OutboxStore {

    /** How many messages {@link #forEachPending} copies at a time, as the SQL store pages. */
    static final int PAGE = 256;

    /** The key of a copy of a message: the same id goes to several receivers in a broadcast. */
    record Key(String receiver, String id) {
    }

    private final MemoryStorage owner;
    private final AgeIndex<Key, StoredMessage> messages = new AgeIndex<>();

    MemoryOutboxStore(MemoryStorage owner) {
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
        messages.put(new Key(stored.receiver(), stored.id()), stored, stored.at());
    }

    @Override
    public boolean remove(String receiver, String id) {
        Objects.requireNonNull(receiver, "receiver");
        Objects.requireNonNull(id, "id");
        return owner.shared(() -> delete(receiver, id));
    }

    /** Removes without taking the lock; the caller holds it. */
    boolean delete(String receiver, String id) {
        return messages.remove(new Key(receiver, id));
    }

    @Override
    public List<StoredMessage> pending(int limit) {
        MemoryStorage.checkLimit(limit);
        return owner.shared(() -> messages.first(limit, false).stream().map(MemoryStorage::copy).toList());
    }

    @Override
    public void forEachPending(Consumer<StoredMessage> action) {
        Objects.requireNonNull(action, "action");
        AgeIndex.Age cursor = null;
        while (true) {
            AgeIndex.Age after = cursor;
            // Copied under the lock a page at a time, handed out without it: an action that writes
            // to the store (a resend completing) cannot deadlock with the walk.
            List<Map.Entry<AgeIndex.Age, StoredMessage>> page = owner.shared(() -> messages.page(after, PAGE));
            page.forEach(e -> action.accept(MemoryStorage.copy(e.getValue())));
            if (page.size() < PAGE) {
                return;
            }
            cursor = page.getLast().getKey();
        }
    }

    @Override
    public List<StoredMessage> removeOlderThan(Instant cutoff, int limit) {
        Objects.requireNonNull(cutoff, "cutoff");
        MemoryStorage.checkBatch(limit);
        return owner.shared(() -> messages.removeOlderThan(cutoff, limit));
    }

    @Override
    public long count() {
        return owner.shared(messages::count);
    }

    void clear() {
        messages.clear();
    }
}
