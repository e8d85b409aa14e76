package dev.caxton.storage.memory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Values by key and by age: what the outbox, the dead letters and the handled ids all are.
 *
 * <p>Two maps are kept: one by key for lookups, replacement and removal, and a skip list ordered by
 * the value's instant, then by the order its key was first added, for the age-ordered reads and the
 * TTL cleanup. Both change together inside {@link ConcurrentHashMap#compute}, which serializes
 * writers of one key while writers of different keys proceed in parallel. Values are stored as
 * given: callers copy what is mutable.
 *
 * @param <K> the key
 * @param <V> the value
 */
final class AgeIndex<K, V> {

    /** Where a value sits in the age order; {@code order} is unique per key, so keys never collide. */
    record Age(Instant at, long order) implements Comparable<Age> {
        @Override
        public int compareTo(Age o) {
            int c = at.compareTo(o.at);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private record Slot<K, V>(K key, Age age, V value) {
    }

    private final ConcurrentHashMap<K, Slot<K, V>> byKey = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<Age, Slot<K, V>> byAge = new ConcurrentSkipListMap<>();
    private final AtomicLong arrivals = new AtomicLong();

    /**
     * Adds or replaces the value of a key. A replacement keeps its place among values of the same
     * instant, as an upsert keeps its row in SQL.
     *
     * @param key   the key
     * @param value the value
     * @param at    its instant
     */
    void put(K key, V value, Instant at) {
        byKey.compute(key, (k, old) -> {
            Age age = new Age(at, old == null ? arrivals.incrementAndGet() : old.age().order());
            if (old != null) {
                byAge.remove(old.age());
            }
            Slot<K, V> slot = new Slot<>(k, age, value);
            byAge.put(age, slot);
            return slot;
        });
    }

    /**
     * Removes a key.
     *
     * @param key the key
     * @return whether it was there
     */
    boolean remove(K key) {
        boolean[] removed = {false};
        byKey.computeIfPresent(key, (k, slot) -> {
            byAge.remove(slot.age());
            removed[0] = true;
            return null;
        });
        return removed[0];
    }

    /**
     * @param key the key
     * @return its value, if any
     */
    Optional<V> get(K key) {
        return Optional.ofNullable(byKey.get(key)).map(Slot::value);
    }

    /** @return how many keys there are */
    long count() {
        return byKey.mappingCount();
    }

    /**
     * The first values in age order, oldest or newest first.
     *
     * @param limit       the most to return
     * @param newestFirst the direction
     * @return the values
     */
    List<V> first(int limit, boolean newestFirst) {
        List<V> out = new ArrayList<>(Math.min(limit, 256));
        for (Slot<K, V> s : (newestFirst ? byAge.descendingMap() : byAge).values()) {
            if (out.size() == limit) {
                break;
            }
            out.add(s.value());
        }
        return out;
    }

    /**
     * The values after a position, oldest first: a page of a walk.
     *
     * @param after the age of the last value of the previous page, or null for the start
     * @param limit the page size
     * @return the values with their ages
     */
    List<Map.Entry<Age, V>> page(Age after, int limit) {
        List<Map.Entry<Age, V>> out = new ArrayList<>(limit);
        for (Slot<K, V> s : (after == null ? byAge : byAge.tailMap(after, false)).values()) {
            if (out.size() == limit) {
                break;
            }
            out.add(Map.entry(s.age(), s.value()));
        }
        return out;
    }

    /**
     * Removes the oldest values stored before a cutoff.
     *
     * @param cutoff values strictly before this go
     * @param limit  the most to remove
     * @return the removed values, oldest first
     */
    List<V> removeOlderThan(Instant cutoff, int limit) {
        List<V> removed = new ArrayList<>();
        for (Slot<K, V> s : byAge.headMap(new Age(cutoff, Long.MIN_VALUE), false).values()) {
            if (removed.size() == limit) {
                break;
            }
            // Removed through the key map, so a concurrent replacement of the same key is not lost.
            byKey.computeIfPresent(s.key(), (k, current) -> {
                if (current.age().equals(s.age())) {
                    byAge.remove(current.age());
                    removed.add(current.value());
                    return null;
                }
                return current;
            });
        }
        return removed;
    }

    void clear() {
        byKey.clear();
        byAge.clear();
    }
}
