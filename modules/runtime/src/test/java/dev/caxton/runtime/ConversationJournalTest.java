package dev.caxton.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.ConversationStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The journal's bound per conversation: one runaway conversation cannot fill the disk. */
class ConversationJournalTest {

    /** A store in memory, numbering entries per conversation like a real one. */
    private static final class ListStore implements ConversationStore {
        final Map<String, List<ConversationEntry>> byId = new ConcurrentHashMap<>();

        @Override
        public synchronized long append(ConversationEntry e) {
            List<ConversationEntry> l = byId.computeIfAbsent(e.conversationId(), k -> new ArrayList<>());
            l.add(new ConversationEntry(e.conversationId(), l.size() + 1, e.messageId(), e.sender(), e.receiver(),
                    e.performative(), e.envelope(), e.at()));
            return l.size();
        }

        @Override
        public synchronized List<ConversationEntry> history(String id) {
            return List.copyOf(byId.getOrDefault(id, List.of()));
        }

        @Override
        public int removeIdleSince(Instant cutoff) {
            return 0;
        }
    }

    /** Enough of a codec for the journal, which stores what it encodes and never reads it back. */
    private static final Serializer TEXT = new Serializer() {
        @Override
        public String name() {
            return "text";
        }

        @Override
        public String mediaType() {
            return "text/plain";
        }

        @Override
        public byte[] encodeValue(Object value) {
            return String.valueOf(value).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Object decodeValue(byte[] bytes) {
            throw new UnsupportedOperationException();
        }
    };

    private static Envelope message(String conversation, int n) {
        return Envelope.builder(Performative.INFORM).sender("a").receiver("b").conversationId(conversation)
                .messageId(conversation + "-" + n).build();
    }

    @Test
    @DisplayName("past conversation_max_messages a conversation keeps its first entries and counts the rest")
    void conversationIsBoundedKeepingItsBeginning() {
        ListStore store = new ListStore();
        try (ConversationJournal journal = new ConversationJournal(store, TEXT, 100, 7, Duration.ofHours(1), 10)) {
            for (int i = 1; i <= 35; i++) {
                journal.delivered(message("loop", i));
                if (i <= 3) {
                    journal.delivered(message("calm", i));
                }
            }
            journal.awaitWritten(Duration.ofSeconds(30));
            assertThat(store.history("loop")).extracting(ConversationEntry::messageId)
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 10).mapToObj(i -> "loop-" + i).toList());
            assertThat(store.history("calm")).hasSize(3);
            assertThat(journal.omitted("loop")).isEqualTo(25);
            assertThat(journal.omitted("calm")).isZero();
            assertThat(journal.omittedTotal()).isEqualTo(25);
        }
    }

    @Test
    @DisplayName("the bound counts what the store already held (a restart does not reset it)")
    void boundCountsStoredEntries() {
        ListStore store = new ListStore();
        for (int i = 1; i <= 8; i++) {
            store.append(new ConversationEntry("old", 0, "old-" + i, "a", "b", "inform", new byte[0], Instant.now()));
        }
        try (ConversationJournal journal = new ConversationJournal(store, TEXT, 100, 5, Duration.ofHours(1), 10)) {
            for (int i = 9; i <= 15; i++) {
                journal.delivered(message("old", i));
            }
            journal.awaitWritten(Duration.ofSeconds(30));
            assertThat(store.history("old")).hasSize(10);
            assertThat(journal.omitted("old")).isEqualTo(5);
        }
    }
}
