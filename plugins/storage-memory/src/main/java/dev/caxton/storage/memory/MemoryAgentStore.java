package dev.caxton.storage.memory;

import dev.caxton.spi.storage.AgentRecord;
import dev.caxton.spi.storage.AgentStore;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** Agents in a sorted concurrent map, so {@link #list()} needs no sorting. */
final class MemoryAgentStore implements AgentStore {

    /**
     * Names compare by Unicode code point, which is the order of their UTF-8 bytes: the order a
     * SQL database with binary collation gives, so switching stores does not reorder listings.
     * {@link String#compareTo} compares UTF-16 units and differs for characters beyond U+FFFF.
     */
    static final Comparator<String> CODE_POINT_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private final MemoryStorage owner;
    private final ConcurrentSkipListMap<String, AgentRecord> byName = new ConcurrentSkipListMap<>(CODE_POINT_ORDER);

    MemoryAgentStore(MemoryStorage owner) {
        this.owner = owner;
    }

    @Override
    public void put(AgentRecord agent) {
        Objects.requireNonNull(agent, "agent");
        owner.ensureOpen();
        byName.put(agent.name(), copy(agent));
    }

    @Override
    public Optional<AgentRecord> get(String name) {
        Objects.requireNonNull(name, "name");
        owner.ensureOpen();
        return Optional.ofNullable(byName.get(name)).map(MemoryAgentStore::copy);
    }

    @Override
    public List<AgentRecord> list() {
        owner.ensureOpen();
        return byName.values().stream().map(MemoryAgentStore::copy).toList();
    }

    @Override
    public boolean remove(String name) {
        Objects.requireNonNull(name, "name");
        owner.ensureOpen();
        return byName.remove(name) != null;
    }

    void clear() {
        byName.clear();
    }

    private static AgentRecord copy(AgentRecord a) {
        return new AgentRecord(a.name(), a.id(), a.module().clone(), a.maxMemoryBytes(), a.executionTimeoutMs(),
                a.fuel(), a.capabilities(), a.codec(), a.engine(), a.state(), a.deployedAt(), a.updatedAt(), a.durable(), a.wasi(),
                a.wasiArgs(), a.wasiEnv(), a.extism(), a.cpuShare());
    }
}
