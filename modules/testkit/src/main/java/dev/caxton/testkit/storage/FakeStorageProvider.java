package dev.caxton.testkit.storage;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.AgentCheckpoint;
import dev.caxton.spi.storage.AgentRecord;
import dev.caxton.spi.storage.AgentStore;
import dev.caxton.spi.storage.CheckpointStore;
import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.ConversationStore;
import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.HandledStore;
import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageProvider;
import dev.caxton.spi.storage.StorageWrite;
import dev.caxton.spi.storage.StoredMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A storage without libraries or files, for unit tests of code that needs a {@link Storage} (a
 * runtime component, a transport that dead-letters) and should not depend on a plugin. It passes
 * {@link StorageConformance} like any real store; it is not {@linkplain Storage#durable() durable}:
 * what it holds is gone when it is closed.
 *
 * <p>Everything sits in plain collections behind one monitor, which is what makes a batch
 * ({@link Storage#apply}) atomic for readers: a batch is checked whole before its first change,
 * so a refused batch leaves nothing behind, and it is applied under the same monitor every read
 * takes. Byte arrays are copied in and out, so neither the caller nor the store can change what
 * the other holds. It is slow for large stores (every ordered read sorts): fine for tests, not a
 * node's storage; use {@code sqlite} or {@code memory} there. The provider is named {@code fake}
 * and has no options.
 */
public final class FakeStorageProvider implements StorageProvider {

    /** The provider name. */
    public static final String NAME = "fake";

    /** Creates the provider. */
    public FakeStorageProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Plain collections in memory for tests, without libraries (testkit fake)";
    }

    @Override
    public Storage open(ProviderContext context) {
        Objects.requireNonNull(context, "context");
        return new FakeStorage();
    }

    /** A message with the position it was added at, which breaks ties of equal instants. */
    private record Slot(StoredMessage message, long added) {
    }

    /** The header of a checkpoint; its chunks are kept beside it. */
    private record Header(String digest, long memorySize, int chunkSize, long[] globals, long version) {
    }

    private static byte[] copy(byte[] b) {
        return b == null ? null : b.clone();
    }

    private static StoredMessage copy(StoredMessage m) {
        return new StoredMessage(m.id(), m.receiver(), m.envelope().clone(), m.reason(), m.attempts(), m.at());
    }

    private static AgentRecord copy(AgentRecord a) {
        return new AgentRecord(a.name(), a.id(), a.module().clone(), a.maxMemoryBytes(), a.executionTimeoutMs(),
                a.fuel(), a.capabilities(), a.codec(), a.engine(), a.state(), a.deployedAt(), a.updatedAt(),
                a.durable(), a.wasi(), a.wasiArgs(), a.wasiEnv(), a.extism(), a.cpuShare());
    }

    private static ConversationEntry numbered(ConversationEntry e, long sequence) {
        return new ConversationEntry(e.conversationId(), sequence, e.messageId(), e.sender(), e.receiver(),
                e.performative(), e.envelope().clone(), e.at());
    }

    private static void checkLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
    }

    private static final Comparator<Slot> OLDEST_FIRST =
            Comparator.comparing((Slot s) -> s.message().at()).thenComparingLong(Slot::added);

    /** The open store. Every method holds the store's monitor for its whole run. */
    private static final class FakeStorage implements Storage {

        private final Map<String, AgentRecord> agents = new TreeMap<>();
        /** Keyed by receiver, then id, as the outbox SPI asks. */
        private final Map<List<String>, Slot> outbox = new HashMap<>();
        private final Map<String, Slot> deadLetters = new HashMap<>();
        private final Map<List<String>, Instant> handled = new HashMap<>();
        private final Map<String, Header> headers = new HashMap<>();
        private final Map<String, Map<Integer, byte[]>> chunks = new HashMap<>();
        private final Map<String, List<ConversationEntry>> conversations = new LinkedHashMap<>();
        private long added;
        private boolean closed;

        private final AgentStore agentStore = new Agents();
        private final OutboxStore outboxStore = new Outbox();
        private final HandledStore handledStore = new Handled();
        private final CheckpointStore checkpointStore = new Checkpoints();
        private final DeadLetterStore deadLetterStore = new DeadLetters();
        private final ConversationStore conversationStore = new Conversations();

        @Override
        public AgentStore agents() {
            return agentStore;
        }

        @Override
        public OutboxStore outbox() {
            return outboxStore;
        }

        @Override
        public HandledStore handled() {
            return handledStore;
        }

        @Override
        public CheckpointStore checkpoints() {
            return checkpointStore;
        }

        @Override
        public DeadLetterStore deadLetters() {
            return deadLetterStore;
        }

        @Override
        public ConversationStore conversations() {
            return conversationStore;
        }

        @Override
        public boolean durable() {
            return false;
        }

        @Override
        public synchronized void close() {
            closed = true;
        }

        /** Fails a call on a closed store, so a test that uses one after closing it hears of it. */
        private void open() {
            if (closed) {
                throw new StorageException("the fake storage is closed");
            }
        }

        @Override
        public synchronized void apply(List<StorageWrite> writes) {
            open();
            check(writes);
            for (StorageWrite w : writes) {
                switch (w) {
                    case StorageWrite.OutboxAdd a -> addOutbox(a.message());
                    case StorageWrite.OutboxRemove r -> outbox.remove(List.of(r.receiver(), r.id()));
                    case StorageWrite.MarkHandled m -> handled.put(List.of(m.receiver(), m.id()), m.at());
                    case StorageWrite.DeadLetterAdd d -> addDeadLetter(d.message());
                    case StorageWrite.CheckpointHeader h -> writeHeader(h);
                    case StorageWrite.CheckpointChunk c -> writeChunk(c);
                    case StorageWrite.CheckpointDrop d -> {
                        headers.remove(d.agent());
                        chunks.remove(d.agent());
                    }
                }
            }
        }

        /**
         * Walks the batch's checkpoint changes over the chunk sizes stored now, and refuses the
         * whole batch at the first chunk size that changes without a drop before it.
         */
        private void check(List<StorageWrite> writes) {
            Map<String, Integer> chunkSizes = new HashMap<>();
            headers.forEach((agent, h) -> chunkSizes.put(agent, h.chunkSize()));
            for (StorageWrite w : writes) {
                if (w instanceof StorageWrite.CheckpointDrop d) {
                    chunkSizes.remove(d.agent());
                } else if (w instanceof StorageWrite.CheckpointHeader h) {
                    Integer before = chunkSizes.put(h.agent(), h.chunkSize());
                    if (before != null && before != h.chunkSize()) {
                        throw new StorageException("checkpoint of agent '" + h.agent() + "': the chunk size changes from "
                                + before + " to " + h.chunkSize() + " without a CheckpointDrop before it in the batch;"
                                + " nothing of the batch was stored");
                    }
                }
            }
        }

        private void addOutbox(StoredMessage m) {
            outbox.put(List.of(m.receiver(), m.id()), new Slot(copy(m), added++));
        }

        private void addDeadLetter(StoredMessage m) {
            deadLetters.put(m.id(), new Slot(copy(m), added++));
        }

        private void writeHeader(StorageWrite.CheckpointHeader h) {
            headers.put(h.agent(), new Header(h.moduleDigest(), h.memorySize(), h.chunkSize(), h.globals(), h.version()));
            Map<Integer, byte[]> of = chunks.get(h.agent());
            if (of != null) {
                of.keySet().removeIf(index -> (long) index * h.chunkSize() >= h.memorySize());
            }
        }

        private void writeChunk(StorageWrite.CheckpointChunk c) {
            Map<Integer, byte[]> of = chunks.computeIfAbsent(c.agent(), a -> new TreeMap<>());
            if (c.bytes() == null) {
                of.remove(c.index());
            } else {
                of.put(c.index(), c.bytes().clone());
            }
        }

        /** Removes up to {@code limit} slots older than the cutoff, oldest first, and returns them. */
        private static <K> List<StoredMessage> removeOldest(Map<K, Slot> from, Instant cutoff, int limit) {
            checkLimit(limit);
            List<Map.Entry<K, Slot>> old = new ArrayList<>();
            for (Map.Entry<K, Slot> e : from.entrySet()) {
                if (e.getValue().message().at().isBefore(cutoff)) {
                    old.add(e);
                }
            }
            old.sort(Map.Entry.comparingByValue(OLDEST_FIRST));
            List<StoredMessage> removed = new ArrayList<>();
            for (Map.Entry<K, Slot> e : old.subList(0, Math.min(limit, old.size()))) {
                from.remove(e.getKey());
                removed.add(copy(e.getValue().message()));
            }
            return removed;
        }

        private final class Agents implements AgentStore {
            @Override
            public void put(AgentRecord agent) {
                synchronized (FakeStorage.this) {
                    open();
                    agents.put(agent.name(), copy(agent));
                }
            }

            @Override
            public Optional<AgentRecord> get(String name) {
                synchronized (FakeStorage.this) {
                    open();
                    return Optional.ofNullable(agents.get(name)).map(FakeStorageProvider::copy);
                }
            }

            @Override
            public List<AgentRecord> list() {
                synchronized (FakeStorage.this) {
                    open();
                    return agents.values().stream().map(FakeStorageProvider::copy).toList();
                }
            }

            @Override
            public boolean remove(String name) {
                synchronized (FakeStorage.this) {
                    open();
                    return agents.remove(name) != null;
                }
            }
        }

        private final class Outbox implements OutboxStore {
            @Override
            public void add(StoredMessage message) {
                synchronized (FakeStorage.this) {
                    open();
                    addOutbox(message);
                }
            }

            @Override
            public boolean remove(String receiver, String id) {
                synchronized (FakeStorage.this) {
                    open();
                    return outbox.remove(List.of(receiver, id)) != null;
                }
            }

            @Override
            public List<StoredMessage> pending(int limit) {
                synchronized (FakeStorage.this) {
                    open();
                    return outbox.values().stream().sorted(OLDEST_FIRST).limit(Math.max(0, limit))
                            .map(s -> copy(s.message())).toList();
                }
            }

            @Override
            public void forEachPending(Consumer<StoredMessage> action) {
                // A snapshot, walked outside the monitor, so the action may use the store itself.
                pending(Integer.MAX_VALUE).forEach(action);
            }

            @Override
            public List<StoredMessage> removeOlderThan(Instant cutoff, int limit) {
                synchronized (FakeStorage.this) {
                    open();
                    return removeOldest(outbox, cutoff, limit);
                }
            }

            @Override
            public long count() {
                synchronized (FakeStorage.this) {
                    open();
                    return outbox.size();
                }
            }
        }

        private final class Handled implements HandledStore {
            @Override
            public boolean contains(String receiver, String id) {
                synchronized (FakeStorage.this) {
                    open();
                    return handled.containsKey(List.of(receiver, id));
                }
            }

            @Override
            public int removeOlderThan(Instant cutoff, int limit) {
                synchronized (FakeStorage.this) {
                    open();
                    checkLimit(limit);
                    List<Map.Entry<List<String>, Instant>> old = new ArrayList<>();
                    for (Map.Entry<List<String>, Instant> e : handled.entrySet()) {
                        if (e.getValue().isBefore(cutoff)) {
                            old.add(e);
                        }
                    }
                    old.sort(Map.Entry.comparingByValue());
                    int n = Math.min(limit, old.size());
                    for (Map.Entry<List<String>, Instant> e : List.copyOf(old.subList(0, n))) {
                        handled.remove(e.getKey());
                    }
                    return n;
                }
            }

            @Override
            public long count() {
                synchronized (FakeStorage.this) {
                    open();
                    return handled.size();
                }
            }
        }

        private final class Checkpoints implements CheckpointStore {
            @Override
            public Optional<AgentCheckpoint> load(String agent) {
                synchronized (FakeStorage.this) {
                    open();
                    Header h = headers.get(agent);
                    if (h == null) {
                        return Optional.empty();
                    }
                    Map<Integer, byte[]> copies = new TreeMap<>();
                    chunks.getOrDefault(agent, Map.of()).forEach((i, b) -> copies.put(i, copy(b)));
                    return Optional.of(new AgentCheckpoint(agent, h.digest(), h.memorySize(), h.chunkSize(),
                            h.globals(), copies, h.version()));
                }
            }

            @Override
            public long count() {
                synchronized (FakeStorage.this) {
                    open();
                    return headers.size();
                }
            }
        }

        private final class DeadLetters implements DeadLetterStore {
            @Override
            public void add(StoredMessage message) {
                synchronized (FakeStorage.this) {
                    open();
                    addDeadLetter(message);
                }
            }

            @Override
            public Optional<StoredMessage> get(String id) {
                synchronized (FakeStorage.this) {
                    open();
                    return Optional.ofNullable(deadLetters.get(id)).map(s -> copy(s.message()));
                }
            }

            @Override
            public List<StoredMessage> list(int limit) {
                synchronized (FakeStorage.this) {
                    open();
                    return deadLetters.values().stream().sorted(OLDEST_FIRST.reversed()).limit(Math.max(0, limit))
                            .map(s -> copy(s.message())).toList();
                }
            }

            @Override
            public boolean remove(String id) {
                synchronized (FakeStorage.this) {
                    open();
                    return deadLetters.remove(id) != null;
                }
            }

            @Override
            public int removeOlderThan(Instant cutoff, int limit) {
                synchronized (FakeStorage.this) {
                    open();
                    return removeOldest(deadLetters, cutoff, limit).size();
                }
            }

            @Override
            public long count() {
                synchronized (FakeStorage.this) {
                    open();
                    return deadLetters.size();
                }
            }
        }

        private final class Conversations implements ConversationStore {
            @Override
            public long append(ConversationEntry entry) {
                synchronized (FakeStorage.this) {
                    open();
                    List<ConversationEntry> of = conversations.computeIfAbsent(entry.conversationId(),
                            c -> new ArrayList<>());
                    // Sequences are positions from 1, so a page is a sub-list and needs no search.
                    long sequence = of.size() + 1L;
                    of.add(numbered(entry, sequence));
                    return sequence;
                }
            }

            @Override
            public List<Long> appendAll(List<ConversationEntry> entries) {
                synchronized (FakeStorage.this) {
                    return ConversationStore.super.appendAll(entries);
                }
            }

            @Override
            public List<ConversationEntry> history(String conversationId) {
                synchronized (FakeStorage.this) {
                    open();
                    return conversations.getOrDefault(conversationId, List.of()).stream()
                            .map(e -> numbered(e, e.sequence())).toList();
                }
            }

            @Override
            public List<ConversationEntry> page(String conversationId, long afterSequence, int limit) {
                ConversationStore.checkPage(afterSequence, limit);
                synchronized (FakeStorage.this) {
                    open();
                    List<ConversationEntry> of = conversations.getOrDefault(conversationId, List.of());
                    int from = (int) Math.min(afterSequence, of.size());
                    int to = (int) Math.min((long) from + limit, of.size());
                    return of.subList(from, to).stream().map(e -> numbered(e, e.sequence())).toList();
                }
            }

            @Override
            public long count(String conversationId) {
                synchronized (FakeStorage.this) {
                    open();
                    return conversations.getOrDefault(conversationId, List.of()).size();
                }
            }

            @Override
            public int removeIdleSince(Instant cutoff) {
                return removeIdleSince(cutoff, Integer.MAX_VALUE);
            }

            @Override
            public int removeIdleSince(Instant cutoff, int limit) {
                synchronized (FakeStorage.this) {
                    open();
                    checkLimit(limit);
                    List<String> idle = new ArrayList<>();
                    for (Map.Entry<String, List<ConversationEntry>> e : conversations.entrySet()) {
                        boolean recent = e.getValue().stream().anyMatch(x -> !x.at().isBefore(cutoff));
                        if (!recent && idle.size() < limit) {
                            idle.add(e.getKey());
                        }
                    }
                    idle.forEach(conversations::remove);
                    return idle.size();
                }
            }
        }
    }
}
