package dev.caxton.storage.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.AgentRecord;
import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageProvider;
import dev.caxton.spi.storage.StoredMessage;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the memory store does beyond the conformance suite. */
class MemoryStorageTest {

    @TempDir
    Path dataDir;

    private Storage open() {
        return new MemoryStorageProvider().open(ProviderContext.of(ProviderConfig.of("storage.memory", Map.of()), dataDir));
    }

    private static AgentRecord agent(String name) {
        return new AgentRecord(name, "id", new byte[] {1}, 1, 1, 1, List.of(), "json", "", "running", Instant.EPOCH,
                Instant.EPOCH);
    }

    @Test
    void isFoundByServiceLoaderUnderItsName() {
        assertThat(ServiceLoader.load(StorageProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("memory")).toList())
                .singleElement().isInstanceOf(MemoryStorageProvider.class);
        assertThat(new MemoryStorageProvider().options()).isEmpty();
        assertThat(new MemoryStorageProvider().description()).isNotBlank();
    }

    @Test
    void isNotDurableAndEachOpenStartsEmpty() {
        try (Storage first = open()) {
            assertThat(first.durable()).isFalse();
            first.agents().put(agent("a"));
            try (Storage second = open()) {
                assertThat(second.agents().list()).isEmpty();
            }
            assertThat(first.agents().list()).hasSize(1);
        }
    }

    @Test
    void rejectsAnyOptionNamingTheFullKey() {
        ProviderContext context = ProviderContext.of(ProviderConfig.of("storage.memory", Map.of("max_items", 5)), dataDir);
        assertThatThrownBy(() -> new MemoryStorageProvider().open(context))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("storage.memory.max_items")
                .hasMessageContaining("no options");
    }

    @Test
    void aClosedStoreRefusesWorkAndForgetsItsContents() {
        Storage s = open();
        s.agents().put(agent("a"));
        s.close();
        assertThatThrownBy(() -> s.agents().list()).isInstanceOf(StorageException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> s.outbox().count()).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> s.deadLetters().list(1)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> s.conversations().history("c")).isInstanceOf(StorageException.class);
    }

    @Test
    void aNegativeLimitIsAnError() {
        try (Storage s = open()) {
            assertThatThrownBy(() -> s.outbox().pending(-1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-1");
            assertThatThrownBy(() -> s.deadLetters().list(-5)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void namesAreOrderedByCodePointLikeUtf8BytesNotByUtf16Units() {
        // U+FF5E is one UTF-16 unit larger than the high surrogate of U+1F916, but its code point is smaller.
        String fullwidth = "\uFF5E";
        String robot = "\uD83E\uDD16";
        assertThat(robot.compareTo(fullwidth)).as("String order puts the robot first").isNegative();
        try (Storage s = open()) {
            s.agents().put(agent(robot));
            s.agents().put(agent(fullwidth));
            s.agents().put(agent("a"));
            assertThat(s.agents().list()).extracting(AgentRecord::name).containsExactly("a", fullwidth, robot);
        }
    }

    @Test
    void theOrderOfMessagesAtOneInstantSurvivesReplacement() {
        try (Storage s = open()) {
            Instant t = Instant.parse("2025-01-01T00:00:00Z");
            s.outbox().add(new StoredMessage("first", "r", new byte[0], "", 0, t));
            s.outbox().add(new StoredMessage("second", "r", new byte[0], "", 0, t));
            s.outbox().add(new StoredMessage("first", "r", new byte[] {9}, "", 1, t));
            assertThat(s.outbox().pending(5)).extracting(StoredMessage::id).containsExactly("first", "second");
        }
    }

    @Test
    void historyIsASnapshotNotALiveView() {
        try (Storage s = open()) {
            s.conversations().append(new ConversationEntry("c", 0, "m1", "a", "b", "inform", new byte[0], Instant.EPOCH));
            List<ConversationEntry> before = s.conversations().history("c");
            s.conversations().append(new ConversationEntry("c", 0, "m2", "a", "b", "inform", new byte[0], Instant.EPOCH));
            assertThat(before).hasSize(1);
            assertThat(s.conversations().history("c")).hasSize(2);
        }
    }
}
