package dev.caxton.storage.memory;

import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.ConversationStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Conversations by id, each an append-only list. Appends to one conversation are serialized by
 * {@link ConcurrentHashMap#compute} on its id, which is what makes the sequence numbers unique and
 * gap-free; appends to different conversations do not wait for each other.
 */
final class MemoryConversationStore implements ConversationStore {

    /** One conversation; guarded by its own monitor against readers copying it during an append. */
    private static final class Conversation {
        final List<ConversationEntry> entries = new ArrayList<>();
        Instant newest = Instant.MIN;
    }

    private final MemoryStorage owner;
    private final ConcurrentHashMap<String, Conversation> byId = new ConcurrentHashMap<>();

    MemoryConversationStore(MemoryStorage owner) {
        this.owner = owner;
    }

    @Override
    public long append(ConversationEntry entry) {
        Objects.requireNonNull(entry, "entry");
        owner.ensureOpen();
        long[] assigned = new long[1];
        byId.compute(entry.conversationId(), (id, c) -> {
            Conversation conversation = c == null ? new Conversation() : c;
            synchronized (conversation) {
                assigned[0] = conversation.entries.size() + 1L;
                conversation.entries.add(new ConversationEntry(id, assigned[0], entry.messageId(), entry.sender(),
                        entry.receiver(), entry.performative(), entry.envelope().clone(), entry.at()));
                // Idle means "no message since": the newest instant counts, not the last appended.
                if (entry.at().isAfter(conversation.newest)) {
                    conversation.newest = entry.at();
                }
            }
            return conversation;
        });
        return assigned[0];
    }

    @Override
    public List<ConversationEntry> history(String conversationId) {
        Objects.requireNonNull(conversationId, "conversationId");
        owner.ensureOpen();
        Conversation c = byId.get(conversationId);
        if (c == null) {
            return List.of();
        }
        synchronized (c) {
            return copies(c.entries);
        }
    }

    @Override
    public List<ConversationEntry> page(String conversationId, long afterSequence, int limit) {
        Objects.requireNonNull(conversationId, "conversationId");
        ConversationStore.checkPage(afterSequence, limit);
        owner.ensureOpen();
        Conversation c = byId.get(conversationId);
        if (c == null) {
            return List.of();
        }
        synchronized (c) {
            // Sequence n sits at index n - 1: the list is gap-free and append-only.
            int from = (int) Math.min(afterSequence, c.entries.size());
            int to = (int) Math.min((long) from + limit, c.entries.size());
            return copies(c.entries.subList(from, to));
        }
    }

    /** Copies entries with their envelope bytes, so callers cannot change what the store holds. */
    private static List<ConversationEntry> copies(List<ConversationEntry> entries) {
        List<ConversationEntry> copy = new ArrayList<>(entries.size());
        for (ConversationEntry e : entries) {
            copy.add(new ConversationEntry(e.conversationId(), e.sequence(), e.messageId(), e.sender(),
                    e.receiver(), e.performative(), e.envelope().clone(), e.at()));
        }
        return copy;
    }

    @Override
    public long count(String conversationId) {
        Objects.requireNonNull(conversationId, "conversationId");
        owner.ensureOpen();
        Conversation c = byId.get(conversationId);
        if (c == null) {
            return 0;
        }
        synchronized (c) {
            return c.entries.size();
        }
    }

    @Override
    public int removeIdleSince(Instant cutoff) {
        return removeIdleSince(cutoff, Integer.MAX_VALUE);
    }

    @Override
    public int removeIdleSince(Instant cutoff, int limit) {
        Objects.requireNonNull(cutoff, "cutoff");
        MemoryStorage.checkBatch(limit);
        owner.ensureOpen();
        int[] removed = {0};
        for (String id : byId.keySet()) {
            if (removed[0] >= limit) {
                break;
            }
            // Decided per id inside computeIfPresent, so an append racing with the sweep either lands
            // before the decision (and keeps the conversation) or after it (and starts a new one).
            byId.computeIfPresent(id, (key, c) -> {
                synchronized (c) {
                    if (removed[0] < limit && c.newest.isBefore(cutoff)) {
                        removed[0]++;
                        return null;
                    }
                    return c;
                }
            });
        }
        return removed[0];
    }

    void clear() {
        byId.clear();
    }
}
