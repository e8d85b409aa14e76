package dev.caxton.runtime.durability;

import dev.caxton.spi.storage.AgentStore;
import dev.caxton.spi.storage.CheckpointStore;
import dev.caxton.spi.storage.ConversationStore;
import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.HandledStore;
import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageWrite;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Records every batch; answers handled() from the MarkHandled writes it saw. */
public final class RecordingStorage implements Storage {
    /** Every batch applied, in order. */
    public final List<List<StorageWrite>> batches = Collections.synchronizedList(new ArrayList<>());
    /** receiver/id of every MarkHandled seen. */
    public final Set<String> handledKeys = ConcurrentHashMap.newKeySet();

    @Override
    public void apply(List<StorageWrite> writes) {
        batches.add(List.copyOf(writes));
        for (StorageWrite w : writes) {
            if (w instanceof StorageWrite.MarkHandled m) {
                handledKeys.add(m.receiver() + "/" + m.id());
            }
        }
    }

    /** @return every write applied, in order */
    public List<StorageWrite> all() {
        synchronized (batches) {
            return batches.stream().flatMap(List::stream).toList();
        }
    }

    @Override
    public HandledStore handled() {
        return new HandledStore() {
            @Override
            public boolean contains(String receiver, String id) {
                return handledKeys.contains(receiver + "/" + id);
            }

            @Override
            public int removeOlderThan(Instant cutoff, int limit) {
                return 0;
            }

            @Override
            public long count() {
                return handledKeys.size();
            }
        };
    }

    @Override
    public AgentStore agents() {
        throw new UnsupportedOperationException();
    }

    @Override
    public OutboxStore outbox() {
        throw new UnsupportedOperationException();
    }

    @Override
    public CheckpointStore checkpoints() {
        throw new UnsupportedOperationException();
    }

    @Override
    public DeadLetterStore deadLetters() {
        throw new UnsupportedOperationException();
    }

    @Override
    public ConversationStore conversations() {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean durable() {
        return true;
    }

    @Override
    public void close() {
    }
}
