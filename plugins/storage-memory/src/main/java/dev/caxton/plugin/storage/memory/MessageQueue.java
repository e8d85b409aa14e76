package dev.caxton.plugin.storage.memory;

import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.StoredMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Messages by id and by age: the outbox (served oldest first) and the dead letters (listed newest
 * first) are the same structure read in opposite directions.
 *
 * <p>Two maps are kept: one by id for lookups, replacement and removal, and a skip list ordered by
 * the message's instant, then by the order its id was first added, for the age-ordered reads.
 * Both are changed together inside {@link ConcurrentHashMap#compute}, which serializes writers of
 * the same id while writers of different ids proceed in parallel.
 */
final class MessageQueue implements OutboxStore, DeadLetterStore {

    /** Where a message sits in the age order; {@code order} is unique per id, so keys never collide. */
    private record Age(Instant at, long order) implements Comparable<Age> {
        @Override
        public int compareTo(Age o) {
            int c = at.compareTo(o.at);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private record Slot(Age age, StoredMessage message) {
    }

    private final MemoryStorage owner;
    private final boolean newestFirst;
    private final ConcurrentHashMap<String, Slot> byId = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<Age, StoredMessage> byAge = new ConcurrentSkipListMap<>();
    private final AtomicLong arrivals = new AtomicLong();

    /**
     * @param owner       the store, for the closed check
     * @param newestFirst whether {@link #list(int)} reads the age order backwards (dead letters)
     */
    MessageQueue(MemoryStorage owner, boolean newestFirst) {
        this.owner = owner;
        this.newestFirst = newestFirst;
    }

    @Override
    public void add(StoredMessage message) {
        Objects.requireNonNull(message, "message");
        owner.ensureOpen();
        StoredMessage stored = copy(message);
        byId.compute(stored.id(), (id, old) -> {
            // A replacement keeps its place among messages of the same instant, as an UPSERT keeps its row.
            Age age = new Age(stored.at(), old == null ? arrivals.incrementAndGet() : old.age().order());
            if (old != null) {
                byAge.remove(old.age());
            }
            byAge.put(age, stored);
            return new Slot(age, stored);
        });
    }

    @Override
    public boolean remove(String id) {
        Objects.requireNonNull(id, "id");
        owner.ensureOpen();
        boolean[] removed = {false};
        byId.computeIfPresent(id, (key, slot) -> {
            byAge.remove(slot.age());
            removed[0] = true;
            return null;
        });
        return removed[0];
    }

    @Override
    public Optional<StoredMessage> get(String id) {
        Objects.requireNonNull(id, "id");
        owner.ensureOpen();
        return Optional.ofNullable(byId.get(id)).map(slot -> copy(slot.message()));
    }

    @Override
    public List<StoredMessage> pending(int limit) {
        return firstInOrder(byAge.values(), limit);
    }

    @Override
    public List<StoredMessage> list(int limit) {
        return firstInOrder(newestFirst ? byAge.descendingMap().values() : byAge.values(), limit);
    }

    @Override
    public long count() {
        owner.ensureOpen();
        return byId.mappingCount();
    }

    void clear() {
        byId.clear();
        byAge.clear();
    }

    private List<StoredMessage> firstInOrder(Collection<StoredMessage> ordered, int limit) {
        MemoryStorage.checkLimit(limit);
        owner.ensureOpen();
        List<StoredMessage> out = new ArrayList<>(Math.min(limit, 256));
        for (StoredMessage m : ordered) {
            if (out.size() == limit) {
                break;
            }
            out.add(copy(m));
        }
        return out;
    }

    private static StoredMessage copy(StoredMessage m) {
        return new StoredMessage(m.id(), m.receiver(), m.envelope().clone(), m.reason(), m.attempts(), m.at());
    }
}
