package dev.caxton.testkit.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.AgentCheckpoint;
import dev.caxton.spi.storage.AgentRecord;
import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageWrite;
import dev.caxton.spi.storage.StorageProvider;
import dev.caxton.spi.storage.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link StorageProvider} must do, whoever wrote it. A provider's test extends this
 * class and says which provider to test:
 *
 * <pre>{@code
 * class MyStorageTest extends StorageConformance {
 *     protected StorageProvider provider() { return new MyStorageProvider(); }
 * }
 * }</pre>
 *
 * <p>Each test gets a fresh temporary data directory and a store opened on it. Every method of every
 * store is covered, batches ({@link Storage#apply}) included: all or nothing, later writes winning,
 * never seen half-applied; round trips of every field (byte arrays compared exactly, instants to the
 * nanosecond), the orders the SPI promises, replacement by id or name, counts, the sequence numbers
 * of conversations (also under concurrent appends), a 5 MB module, and, for stores that say they
 * are {@linkplain Storage#durable() durable}, that everything is still there after the store is
 * closed and opened again on the same data directory.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public abstract class StorageConformance {

    /** A fixed point in time with a non-zero nanosecond part, so truncating stores are caught. */
    protected static final Instant T0 = Instant.parse("2025-03-14T15:09:26.535897932Z");

    /** The data directory of the current test. */
    @TempDir
    protected Path dataDir;

    /** The store opened on {@link #dataDir} before each test and closed after it. */
    protected Storage storage;

    /**
     * The provider under test. Called more than once; may return a new instance each time.
     *
     * @return the provider
     */
    protected abstract StorageProvider provider();

    /**
     * The configuration section to open the store with. The default is an empty section (every
     * option at its default) under {@code storage.<name>}.
     *
     * @param dataDir the data directory of the test
     * @return the section
     */
    protected ProviderConfig config(Path dataDir) {
        return ProviderConfig.of("storage." + provider().name(), Map.of());
    }

    /**
     * Opens a store on the test's data directory with {@link #config(Path)}.
     *
     * @return the open store
     */
    protected Storage open() {
        return provider().open(ProviderContext.of(config(dataDir), dataDir));
    }

    /** Opens the store for the test. */
    @BeforeEach
    void openStore() {
        storage = open();
    }

    /** Closes the store of the test. */
    @AfterEach
    void closeStore() {
        if (storage != null) {
            storage.close();
        }
    }

    // ---------------------------------------------------------------- provider

    @Test
    void providerHasAValidNameAndDeclaresOptionsWhoseDefaultsPassTheirOwnChecks() {
        StorageProvider p = provider();
        assertThat(p.name()).matches("[a-z0-9-]+");
        assertThat(p.options()).isNotNull();
        Set<String> keys = new HashSet<>();
        for (ConfigOption option : p.options()) {
            assertThat(option.key()).as("option key").matches("[a-z0-9_]+");
            assertThat(keys.add(option.key())).as("option %s declared once", option.key()).isTrue();
            assertThat(option.description()).as("description of %s", option.key()).isNotBlank();
            if (option.defaultValue() != null && option.type() != ConfigOption.Type.LIST) {
                Object raw = switch (option.type()) {
                    case INTEGER -> Long.valueOf(option.defaultValue());
                    case BOOLEAN -> switch (option.defaultValue()) {
                        case "true" -> Boolean.TRUE;
                        case "false" -> Boolean.FALSE;
                        default -> option.defaultValue();
                    };
                    default -> option.defaultValue();
                };
                assertThatCode(() -> option.check("storage." + p.name() + "." + option.key(), raw))
                        .as("default of %s", option.key()).doesNotThrowAnyException();
            }
        }
    }

    @Test
    void closingTwiceIsHarmless() {
        storage.close();
        assertThatCode(storage::close).doesNotThrowAnyException();
        storage = null;
    }

    // ---------------------------------------------------------------- agents

    /**
     * An agent record with every field set to something distinctive.
     *
     * @param name   the name
     * @param module the module bytes
     * @return the record
     */
    protected static AgentRecord agent(String name, byte[] module) {
        return new AgentRecord(name, "id-" + name, module, 10L << 20, 5_000, 1_000_000_000_000L,
                List.of("greeter", "math.add", "ünïcødé"), "msgpack", "chicory", "running", T0, T0.plusNanos(1));
    }

    @Test
    void anAgentRoundTripsWithEveryField() {
        AgentRecord a = new AgentRecord("alpha", "0b5e-42", bytes(1000, 1), Long.MAX_VALUE, 0, 0,
                List.of("z-last", "a-first", "m"), "json", "", "stopped", T0, T0.plusSeconds(3600).plusNanos(7), true);
        storage.agents().put(a);

        AgentRecord back = storage.agents().get("alpha").orElseThrow();
        assertThat(back.durable()).isTrue();
        assertThat(back).isEqualTo(a);
        assertThat(back.module()).containsExactly(a.module());
        assertThat(back.capabilities()).containsExactly("z-last", "a-first", "m");
        assertThat(back.engine()).isEmpty();
        assertThat(back.updatedAt()).isEqualTo(T0.plusSeconds(3600).plusNanos(7));
    }

    @Test
    void anExtismPluginKeepsItsSettings() {
        String settings = "function=count&config=greeting=h%C3%A9llo+world";
        AgentRecord a = new AgentRecord("plugin", "p", bytes(20, 6), 1L << 20, 100, 0, List.of(), "json", "", "running",
                T0, T0, false, false, settings);
        storage.agents().put(a);
        assertThat(storage.agents().get("plugin").orElseThrow().extism()).isEqualTo(settings);
        assertThat(storage.agents().get("plugin")).contains(a);
        storage.agents().put(a.withState("stopped", T0.plusSeconds(1)));
        assertThat(storage.agents().get("plugin").orElseThrow().extism()).isEqualTo(settings);
        AgentRecord plain = new AgentRecord("plain", "q", bytes(20, 7), 1L << 20, 100, 0, List.of(), "json", "", "running",
                T0, T0, false, false);
        storage.agents().put(plain);
        assertThat(storage.agents().get("plain").orElseThrow().extism()).isNull();
    }

    @Test
    void anAgentKeepsItsCpuShare() {
        AgentRecord a = new AgentRecord("weighted", "c", bytes(20, 8), 1L << 20, 100, 0, List.of(), "json", "", "running",
                T0, T0, false, false, List.of(), java.util.Map.of(), null, 300);
        storage.agents().put(a);
        assertThat(storage.agents().get("weighted").orElseThrow().cpuShare()).isEqualTo(300);
        storage.agents().put(a.withState("stopped", T0.plusSeconds(1)));
        assertThat(storage.agents().list()).filteredOn(r -> r.name().equals("weighted"))
                .extracting(AgentRecord::cpuShare).containsExactly(300);
        AgentRecord usual = new AgentRecord("usual", "u", bytes(20, 9), 1L << 20, 100, 0, List.of(), "json", "", "running",
                T0, T0, false, false);
        storage.agents().put(usual);
        assertThat(storage.agents().get("usual").orElseThrow().cpuShare()).isEqualTo(AgentRecord.DEFAULT_CPU_SHARE);
    }

    @Test
    void anAgentDeployedWithWasiKeepsIt() {
        AgentRecord a = new AgentRecord("wasi", "w", bytes(20, 5), 1L << 20, 100, 0, List.of(), "json", "", "running",
                T0, T0, false, true);
        storage.agents().put(a);
        assertThat(storage.agents().get("wasi").orElseThrow().wasi()).isTrue();
        assertThat(storage.agents().get("wasi")).contains(a);
        storage.agents().put(a.withState("stopped", T0.plusSeconds(1)));
        assertThat(storage.agents().get("wasi").orElseThrow().wasi()).isTrue();
    }

    @Test
    void anAgentKeepsItsWasiArgumentsAndEnvironment() {
        AgentRecord a = new AgentRecord("wasi-args", "w", bytes(20, 6), 1L << 20, 100, 0, List.of(), "json", "",
                "running", T0, T0, false, true, List.of("--mode", "fast", "", "a=b", "größe"),
                Map.of("HOME", "/nowhere", "EMPTY", "", "EQ", "x=y", "UNICODE", "ü"));
        storage.agents().put(a);
        AgentRecord back = storage.agents().get("wasi-args").orElseThrow();
        assertThat(back.wasiArgs()).containsExactly("--mode", "fast", "", "a=b", "größe");
        assertThat(back.wasiEnv()).containsExactlyInAnyOrderEntriesOf(a.wasiEnv());
        assertThat(back).isEqualTo(a);
        assertThat(storage.agents().list()).contains(a);

        AgentRecord fewer = new AgentRecord("wasi-args", "w", bytes(20, 6), 1L << 20, 100, 0, List.of(), "json", "",
                "running", T0, T0, false, true, List.of("one"), Map.of());
        storage.agents().put(fewer);
        assertThat(storage.agents().get("wasi-args")).contains(fewer);
        storage.agents().remove("wasi-args");
        storage.agents().put(new AgentRecord("wasi-args", "w2", bytes(20, 6), 1L << 20, 100, 0, List.of(), "json", "",
                "running", T0, T0, false, false));
        assertThat(storage.agents().get("wasi-args").orElseThrow().wasiArgs()).as("a removed agent's arguments go with it")
                .isEmpty();
    }

    @Test
    void anAgentWithAnEmptyModuleAndNoCapabilitiesRoundTrips() {
        AgentRecord a = new AgentRecord("empty", "e", new byte[0], 0, 0, 0, List.of(), "json", "wasmtime", "new",
                Instant.EPOCH, Instant.EPOCH);
        storage.agents().put(a);
        assertThat(storage.agents().get("empty")).contains(a);
    }

    @Test
    void unicodeNamesRoundTrip() {
        AgentRecord a = agent("агент-日本-🤖", bytes(10, 2));
        storage.agents().put(a);
        assertThat(storage.agents().get("агент-日本-🤖")).contains(a);
        assertThat(storage.agents().list()).containsExactly(a);
    }

    @Test
    void anUnknownAgentIsAbsent() {
        assertThat(storage.agents().get("nobody")).isEmpty();
        assertThat(storage.agents().list()).isEmpty();
        assertThat(storage.agents().remove("nobody")).isFalse();
    }

    @Test
    void putReplacesTheAgentOfTheSameName() {
        storage.agents().put(agent("a", bytes(100, 3)));
        AgentRecord replacement = new AgentRecord("a", "id-2", bytes(50, 4), 1, 2, 3, List.of("other"), "json", "",
                "stopped", T0.plusSeconds(1), T0.plusSeconds(2));
        storage.agents().put(replacement);

        assertThat(storage.agents().get("a")).contains(replacement);
        assertThat(storage.agents().list()).containsExactly(replacement);
    }

    @Test
    void agentsAreListedByName() {
        for (String name : List.of("charlie", "alpha", "delta", "bravo")) {
            storage.agents().put(agent(name, bytes(8, name.hashCode())));
        }
        assertThat(storage.agents().list()).extracting(AgentRecord::name)
                .containsExactly("alpha", "bravo", "charlie", "delta");
        assertThat(storage.agents().list()).allSatisfy(a ->
                assertThat(a).isEqualTo(agent(a.name(), bytes(8, a.name().hashCode()))));
    }

    @Test
    void removeForgetsAnAgentAndSaysWhetherItWasThere() {
        storage.agents().put(agent("a", bytes(10, 5)));
        storage.agents().put(agent("b", bytes(10, 6)));

        assertThat(storage.agents().remove("a")).isTrue();
        assertThat(storage.agents().remove("a")).isFalse();
        assertThat(storage.agents().get("a")).isEmpty();
        assertThat(storage.agents().list()).extracting(AgentRecord::name).containsExactly("b");
    }

    @Test
    void theStoreKeepsWhatWasWrittenNotTheCallersArray() {
        byte[] module = bytes(64, 7);
        storage.agents().put(agent("a", module));
        module[0]++;
        byte[] read = storage.agents().get("a").orElseThrow().module();
        assertThat(read).containsExactly(bytes(64, 7));
        read[1]++;
        assertThat(storage.agents().get("a").orElseThrow().module()).containsExactly(bytes(64, 7));
    }

    @Test
    void aFiveMegabyteModuleRoundTripsExactly() {
        byte[] big = bytes(5 * 1024 * 1024, 8);
        storage.agents().put(agent("big", big));
        assertThat(storage.agents().get("big").orElseThrow().module()).isEqualTo(big);
        assertThat(storage.agents().list()).singleElement().satisfies(a -> assertThat(a.module()).isEqualTo(big));
    }

    // ---------------------------------------------------------------- outbox

    /**
     * A stored message.
     *
     * @param id       the id
     * @param at       when it was stored
     * @param attempts the attempts so far
     * @param reason   the reason (empty for the outbox)
     * @return the message
     */
    protected static StoredMessage message(String id, Instant at, int attempts, String reason) {
        return new StoredMessage(id, "receiver-of-" + id, ("envelope of " + id).getBytes(StandardCharsets.UTF_8),
                reason, attempts, at);
    }

    @Test
    void anOutboxMessageRoundTripsWithEveryField() {
        StoredMessage m = new StoredMessage("m1", "cap:math", bytes(300, 9), "", 3, T0);
        storage.outbox().add(m);

        assertThat(storage.outbox().pending(10)).containsExactly(m);
        assertThat(storage.outbox().count()).isEqualTo(1);
    }

    @Test
    void pendingIsOldestFirstAndHonoursTheLimit() {
        storage.outbox().add(message("c", T0.plusSeconds(3), 0, ""));
        storage.outbox().add(message("a", T0.plusSeconds(1), 0, ""));
        storage.outbox().add(message("d", T0.plusSeconds(4), 0, ""));
        storage.outbox().add(message("b", T0.plusNanos(1_000_000_001L), 0, ""));

        assertThat(storage.outbox().pending(10)).extracting(StoredMessage::id).containsExactly("a", "b", "c", "d");
        assertThat(storage.outbox().pending(2)).extracting(StoredMessage::id).containsExactly("a", "b");
        assertThat(storage.outbox().pending(0)).isEmpty();
    }

    @Test
    void messagesStoredAtTheSameInstantAreServedInTheOrderTheyWereAdded() {
        for (String id : List.of("x3", "x1", "x2")) {
            storage.outbox().add(message(id, T0, 0, ""));
        }
        assertThat(storage.outbox().pending(10)).extracting(StoredMessage::id).containsExactly("x3", "x1", "x2");
    }

    @Test
    void addingAnOutboxMessageWithAKnownIdReplacesIt() {
        storage.outbox().add(message("m", T0, 0, ""));
        StoredMessage retried = new StoredMessage("m", "receiver-of-m", bytes(5, 10), "", 1, T0.plusSeconds(5));
        storage.outbox().add(retried);

        assertThat(storage.outbox().count()).isEqualTo(1);
        assertThat(storage.outbox().pending(10)).containsExactly(retried);
    }

    @Test
    void removingAnOutboxMessageSaysWhetherItWasThere() {
        storage.outbox().add(message("a", T0, 0, ""));
        storage.outbox().add(message("b", T0.plusSeconds(1), 0, ""));

        assertThat(storage.outbox().remove("receiver-of-a", "a")).isTrue();
        assertThat(storage.outbox().remove("receiver-of-a", "a")).isFalse();
        assertThat(storage.outbox().remove("receiver-of-never", "never")).isFalse();
        assertThat(storage.outbox().count()).isEqualTo(1);
        assertThat(storage.outbox().pending(10)).extracting(StoredMessage::id).containsExactly("b");
    }

    @Test
    void anEmptyOutboxHasNothingPending() {
        assertThat(storage.outbox().pending(100)).isEmpty();
        assertThat(storage.outbox().count()).isZero();
    }

    // ---------------------------------------------------------------- dead letters

    @Test
    void aDeadLetterRoundTripsWithItsReason() {
        StoredMessage m = new StoredMessage("d1", "nobody", bytes(200, 11),
                "no agent named \"nobody\" on any node", 5, T0);
        storage.deadLetters().add(m);

        assertThat(storage.deadLetters().get("d1")).contains(m);
        assertThat(storage.deadLetters().get("d1").orElseThrow().reason()).isEqualTo("no agent named \"nobody\" on any node");
        assertThat(storage.deadLetters().list(10)).containsExactly(m);
        assertThat(storage.deadLetters().count()).isEqualTo(1);
    }

    @Test
    void deadLettersAreListedNewestFirstWithinTheLimit() {
        storage.deadLetters().add(message("old", T0, 1, "timeout"));
        storage.deadLetters().add(message("newest", T0.plusSeconds(30), 1, "trap"));
        storage.deadLetters().add(message("middle", T0.plusSeconds(10), 1, "no route"));
        storage.deadLetters().add(message("same-as-middle", T0.plusSeconds(10), 1, "no route"));

        assertThat(storage.deadLetters().list(10)).extracting(StoredMessage::id)
                .containsExactly("newest", "same-as-middle", "middle", "old");
        assertThat(storage.deadLetters().list(1)).extracting(StoredMessage::id).containsExactly("newest");
        assertThat(storage.deadLetters().list(0)).isEmpty();
    }

    @Test
    void addingADeadLetterWithAKnownIdReplacesIt() {
        storage.deadLetters().add(message("d", T0, 1, "first failure"));
        StoredMessage again = message("d", T0.plusSeconds(1), 2, "second failure");
        storage.deadLetters().add(again);

        assertThat(storage.deadLetters().count()).isEqualTo(1);
        assertThat(storage.deadLetters().get("d")).contains(again);
        assertThat(storage.deadLetters().list(10)).containsExactly(again);
    }

    @Test
    void removingADeadLetterSaysWhetherItWasThere() {
        storage.deadLetters().add(message("a", T0, 1, "x"));
        storage.deadLetters().add(message("b", T0, 1, "y"));

        assertThat(storage.deadLetters().remove("a")).isTrue();
        assertThat(storage.deadLetters().remove("a")).isFalse();
        assertThat(storage.deadLetters().get("a")).isEmpty();
        assertThat(storage.deadLetters().get("never")).isEmpty();
        assertThat(storage.deadLetters().count()).isEqualTo(1);
        assertThat(storage.deadLetters().list(10)).extracting(StoredMessage::id).containsExactly("b");
    }

    @Test
    void outboxAndDeadLettersAreSeparate() {
        storage.outbox().add(message("same-id", T0, 0, ""));
        storage.deadLetters().add(message("same-id", T0, 3, "gave up"));

        assertThat(storage.outbox().remove("receiver-of-same-id", "same-id")).isTrue();
        assertThat(storage.deadLetters().get("same-id")).isPresent();
        assertThat(storage.outbox().count()).isZero();
        assertThat(storage.deadLetters().count()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- conversations

    /**
     * A conversation entry.
     *
     * @param conversation the conversation id
     * @param messageId    the message id
     * @param at           when it was recorded
     * @return the entry, with a sequence number the store must ignore
     */
    protected static ConversationEntry entry(String conversation, String messageId, Instant at) {
        return new ConversationEntry(conversation, 999, messageId, "alice", "bob", "request",
                ("{\"m\":\"" + messageId + "\"}").getBytes(StandardCharsets.UTF_8), at);
    }

    @Test
    void appendNumbersEachConversationFromOneIndependently() {
        var conv = storage.conversations();
        assertThat(conv.append(entry("c1", "m1", T0))).isEqualTo(1);
        assertThat(conv.append(entry("c2", "n1", T0))).isEqualTo(1);
        assertThat(conv.append(entry("c1", "m2", T0))).isEqualTo(2);
        assertThat(conv.append(entry("c1", "m3", T0))).isEqualTo(3);
        assertThat(conv.append(entry("c2", "n2", T0))).isEqualTo(2);
    }

    @Test
    void historyIsInAppendOrderWithTheAssignedSequences() {
        var conv = storage.conversations();
        ConversationEntry first = new ConversationEntry("c", 0, "m1", "alice", "bob", "request", bytes(40, 12), T0);
        ConversationEntry second = new ConversationEntry("c", 0, "m2", "bob", "alice", "inform", bytes(0, 13),
                T0.minusSeconds(1));
        ConversationEntry third = new ConversationEntry("c", 0, "m3", "", "", "agree", bytes(1, 14), T0.plusSeconds(1));
        conv.append(first);
        conv.append(second);
        conv.append(third);
        conv.append(entry("other", "x", T0));

        List<ConversationEntry> history = conv.history("c");
        assertThat(history).containsExactly(withSequence(first, 1), withSequence(second, 2), withSequence(third, 3));
    }

    @Test
    void appendAllNumbersInOrderAndInterleavesWithAppend() {
        var conv = storage.conversations();
        conv.append(entry("a", "a1", T0));
        List<Long> seqs = conv.appendAll(List.of(entry("a", "a2", T0), entry("b", "b1", T0), entry("a", "a3", T0)));
        assertThat(seqs).containsExactly(2L, 1L, 3L);
        assertThat(conv.append(entry("b", "b2", T0))).isEqualTo(2);
        assertThat(conv.history("a")).extracting(ConversationEntry::messageId).containsExactly("a1", "a2", "a3");
        assertThat(conv.history("b")).extracting(ConversationEntry::messageId).containsExactly("b1", "b2");
        assertThat(conv.appendAll(List.of())).isEmpty();
    }

    @Test
    void anUnknownConversationHasNoHistory() {
        assertThat(storage.conversations().history("unknown")).isEmpty();
    }

    @Test
    void removeIdleSinceForgetsConversationsWhoseLastMessageIsOlderThanTheCutoff() {
        var conv = storage.conversations();
        conv.append(entry("idle", "i1", T0));
        conv.append(entry("idle", "i2", T0.plusSeconds(10)));
        conv.append(entry("revived", "r1", T0));
        conv.append(entry("revived", "r2", T0.plusSeconds(100)));
        conv.append(entry("exactly-at-cutoff", "e1", T0.plusSeconds(50)));

        assertThat(conv.removeIdleSince(T0.plusSeconds(50))).isEqualTo(1);
        assertThat(conv.history("idle")).isEmpty();
        assertThat(conv.history("revived")).extracting(ConversationEntry::messageId).containsExactly("r1", "r2");
        assertThat(conv.history("exactly-at-cutoff")).hasSize(1);
        assertThat(conv.removeIdleSince(T0.plusSeconds(50))).isZero();

        assertThat(conv.append(entry("idle", "i3", T0.plusSeconds(200)))).as("a forgotten conversation starts again")
                .isEqualTo(1);
        assertThat(conv.removeIdleSince(T0.plusSeconds(1000))).isEqualTo(3);
        assertThat(conv.history("revived")).isEmpty();
    }

    @Test
    void pagesWalkAConversationInOrderWithTheLastSequenceAsCursor() {
        var conv = storage.conversations();
        for (int i = 1; i <= 25; i++) {
            conv.append(entry("long", "m" + i, T0.plusSeconds(i)));
            if (i % 5 == 0) {
                conv.append(entry("other", "o" + i, T0));
            }
        }
        List<String> seen = new ArrayList<>();
        long cursor = 0;
        int pages = 0;
        while (true) {
            List<ConversationEntry> page = conv.page("long", cursor, 10);
            if (page.isEmpty()) {
                break;
            }
            pages++;
            assertThat(page).hasSizeLessThanOrEqualTo(10);
            assertThat(page).extracting(ConversationEntry::conversationId).containsOnly("long");
            page.forEach(e -> seen.add(e.messageId()));
            cursor = page.getLast().sequence();
        }
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactlyElementsOf(IntStream.rangeClosed(1, 25).mapToObj(i -> "m" + i).toList());
        assertThat(conv.page("long", 0, 25)).containsExactlyElementsOf(conv.history("long"));
        assertThat(conv.page("long", 24, 10)).extracting(ConversationEntry::sequence).containsExactly(25L);
        assertThat(conv.page("long", 25, 10)).isEmpty();
        assertThat(conv.page("long", 1_000_000, 1)).isEmpty();
        assertThat(conv.page("unknown", 0, 10)).isEmpty();
    }

    @Test
    void countIsTheNumberOfEntriesOfOneConversation() {
        var conv = storage.conversations();
        assertThat(conv.count("c")).isZero();
        conv.append(entry("c", "m1", T0));
        conv.appendAll(List.of(entry("c", "m2", T0), entry("d", "n1", T0), entry("c", "m3", T0)));
        assertThat(conv.count("c")).isEqualTo(3);
        assertThat(conv.count("d")).isEqualTo(1);
        conv.removeIdleSince(T0.plusSeconds(1));
        assertThat(conv.count("c")).as("a forgotten conversation counts nothing").isZero();
    }

    @Test
    void aPageOutOfRangeIsRefused() {
        var conv = storage.conversations();
        assertThatThrownBy(() -> conv.page("c", 0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit");
        assertThatThrownBy(() -> conv.page("c", -1, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("afterSequence");
    }

    // ---------------------------------------------------------------- outbox by receiver, recovery walk

    @Test
    void outboxCopiesOfOneIdForTwoReceiversAreSeparate() {
        StoredMessage forA = new StoredMessage("bcast", "a", bytes(10, 30), "", 0, T0);
        StoredMessage forB = new StoredMessage("bcast", "b", bytes(10, 31), "", 0, T0.plusNanos(1));
        storage.outbox().add(forA);
        storage.outbox().add(forB);
        assertThat(storage.outbox().count()).isEqualTo(2);
        assertThat(storage.outbox().pending(10)).containsExactly(forA, forB);

        assertThat(storage.outbox().remove("a", "bcast")).isTrue();
        assertThat(storage.outbox().pending(10)).as("b's copy stays until b handled it").containsExactly(forB);
        assertThat(storage.outbox().remove("a", "bcast")).isFalse();
        assertThat(storage.outbox().remove("b", "bcast")).isTrue();
        assertThat(storage.outbox().count()).isZero();
    }

    @Test
    void forEachPendingVisitsEveryMessageOldestFirstOverSeveralPages() {
        int n = 1_100; // more than four pages of any sensible page size
        List<StoredMessage> added = new ArrayList<>();
        Random random = new Random(77);
        for (int i = 0; i < n; i++) {
            // Many share an instant, so the order among equals (the order of adding) is tested at page edges too.
            Instant at = T0.plusMillis(random.nextInt(40));
            StoredMessage m = new StoredMessage("m" + i, "r" + (i % 3), bytes(16, i), "", 0, at);
            storage.outbox().add(m);
            added.add(m);
        }
        List<StoredMessage> walked = new ArrayList<>();
        storage.outbox().forEachPending(walked::add);

        assertThat(walked).hasSize(n).containsExactlyElementsOf(storage.outbox().pending(n + 1));
        List<StoredMessage> expected = new ArrayList<>(added);
        expected.sort(java.util.Comparator.comparing(StoredMessage::at)); // stable: ties keep the order of adding
        assertThat(walked).containsExactlyElementsOf(expected);
    }

    @Test
    void forEachPendingOnAnEmptyOutboxVisitsNothing() {
        List<StoredMessage> walked = new ArrayList<>();
        storage.outbox().forEachPending(walked::add);
        assertThat(walked).isEmpty();
    }

    // ---------------------------------------------------------------- batches

    @Test
    void aBatchOfMixedWritesIsReadBackWhole() {
        StoredMessage first = new StoredMessage("in-1", "worker", bytes(20, 40), "", 0, T0);
        storage.outbox().add(first);
        StoredMessage sent = new StoredMessage("out-1", "peer", bytes(20, 41), "", 0, T0.plusSeconds(1));
        StoredMessage dead = new StoredMessage("bad-1", "nobody", bytes(20, 42), "no agent named nobody", 1, T0);
        byte[] chunk0 = bytes(64, 43);
        storage.apply(List.of(
                new StorageWrite.OutboxRemove("worker", "in-1"),
                new StorageWrite.MarkHandled("worker", "in-1", T0.plusSeconds(1)),
                new StorageWrite.OutboxAdd(sent),
                new StorageWrite.DeadLetterAdd(dead),
                new StorageWrite.CheckpointHeader("worker", "digest-1", 200, 64, new long[] {7, -1}, 0),
                new StorageWrite.CheckpointChunk("worker", 0, chunk0),
                new StorageWrite.CheckpointChunk("worker", 2, null)));

        assertThat(storage.outbox().pending(10)).containsExactly(sent);
        assertThat(storage.handled().contains("worker", "in-1")).isTrue();
        assertThat(storage.handled().contains("peer", "in-1")).as("marks are per receiver").isFalse();
        assertThat(storage.handled().count()).isEqualTo(1);
        assertThat(storage.deadLetters().get("bad-1")).contains(dead);
        assertThat(storage.checkpoints().load("worker")).contains(new AgentCheckpoint("worker", "digest-1", 200, 64,
                new long[] {7, -1}, Map.of(0, chunk0), 0));
        assertThat(storage.checkpoints().count()).isEqualTo(1);
        assertThatCode(() -> storage.apply(List.of())).as("an empty batch is harmless").doesNotThrowAnyException();
    }

    @Test
    void laterWritesToTheSameKeyInABatchWin() {
        StoredMessage v1 = new StoredMessage("m", "r", bytes(8, 50), "", 0, T0);
        StoredMessage v2 = new StoredMessage("m", "r", bytes(8, 51), "", 1, T0.plusSeconds(1));
        storage.apply(List.of(new StorageWrite.OutboxAdd(v1), new StorageWrite.OutboxAdd(v2)));
        assertThat(storage.outbox().pending(10)).containsExactly(v2);

        storage.apply(List.of(new StorageWrite.OutboxRemove("r", "m"), new StorageWrite.OutboxAdd(v1)));
        assertThat(storage.outbox().pending(10)).as("added after its removal").containsExactly(v1);
        storage.apply(List.of(new StorageWrite.OutboxAdd(v2), new StorageWrite.OutboxRemove("r", "m")));
        assertThat(storage.outbox().count()).as("removed after its addition").isZero();

        storage.apply(List.of(new StorageWrite.DeadLetterAdd(message("d", T0, 1, "first")),
                new StorageWrite.DeadLetterAdd(message("d", T0, 2, "second"))));
        assertThat(storage.deadLetters().get("d").orElseThrow().reason()).isEqualTo("second");

        storage.apply(List.of(new StorageWrite.MarkHandled("r", "h", T0),
                new StorageWrite.MarkHandled("r", "h", T0.plusSeconds(100))));
        assertThat(storage.handled().removeOlderThan(T0.plusSeconds(50), 10)).as("the later mark counts").isZero();
        assertThat(storage.handled().contains("r", "h")).isTrue();

        storage.apply(List.of(new StorageWrite.CheckpointHeader("a", "d", 8, 8, new long[0], 0),
                new StorageWrite.CheckpointChunk("a", 0, bytes(8, 52)),
                new StorageWrite.CheckpointChunk("a", 0, bytes(8, 53)),
                new StorageWrite.CheckpointHeader("a", "d", 8, 8, new long[] {1}, 1)));
        AgentCheckpoint a = storage.checkpoints().load("a").orElseThrow();
        assertThat(a.chunks().get(0)).isEqualTo(bytes(8, 53));
        assertThat(a.version()).isEqualTo(1);
        assertThat(a.globals()).containsExactly(1);
    }

    @Test
    void aBatchThatFailsLeavesNothingOfItVisibleAndSaysWhatFailed() {
        storage.apply(List.of(new StorageWrite.CheckpointHeader("agent", "d", 64, 16, new long[] {1}, 0),
                new StorageWrite.CheckpointChunk("agent", 1, bytes(16, 60))));
        StoredMessage before = message("kept", T0, 0, "");
        storage.outbox().add(before);

        assertThatThrownBy(() -> storage.apply(List.of(
                new StorageWrite.OutboxRemove("receiver-of-kept", "kept"),
                new StorageWrite.OutboxAdd(message("new", T0, 0, "")),
                new StorageWrite.MarkHandled("r", "x", T0),
                new StorageWrite.DeadLetterAdd(message("dl", T0, 1, "why")),
                new StorageWrite.CheckpointChunk("agent", 1, bytes(16, 61)),
                // A chunk size change without a drop first: the SPI forbids it, so the batch fails here.
                new StorageWrite.CheckpointHeader("agent", "d", 64, 32, new long[] {2}, 1))))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("agent").hasMessageContaining("chunk size")
                .hasMessageContaining("nothing of the batch was stored");

        assertThat(storage.outbox().pending(10)).containsExactly(before);
        assertThat(storage.handled().count()).isZero();
        assertThat(storage.deadLetters().count()).isZero();
        AgentCheckpoint c = storage.checkpoints().load("agent").orElseThrow();
        assertThat(c.chunkSize()).isEqualTo(16);
        assertThat(c.globals()).containsExactly(1);
        assertThat(c.chunks().get(1)).isEqualTo(bytes(16, 60));
        storage.apply(List.of(new StorageWrite.OutboxAdd(message("after", T0, 0, ""))));
        assertThat(storage.outbox().count()).as("the store works on after a failed batch").isEqualTo(2);
    }

    // ---------------------------------------------------------------- handled ids

    @Test
    void handledMarksAreForgottenOldestFirstInBatches() {
        assertThat(storage.handled().contains("r", "nothing")).isFalse();
        List<StorageWrite> marks = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            marks.add(new StorageWrite.MarkHandled("r" + (i % 2), "m" + i, T0.plusSeconds(i)));
        }
        storage.apply(marks);
        assertThat(storage.handled().count()).isEqualTo(25);

        Instant cutoff = T0.plusSeconds(20); // m0..m19 are older
        assertThat(storage.handled().removeOlderThan(cutoff, 8)).isEqualTo(8);
        assertThat(storage.handled().contains("r0", "m0")).as("oldest first").isFalse();
        assertThat(storage.handled().contains("r1", "m7")).isFalse();
        assertThat(storage.handled().contains("r0", "m8")).isTrue();
        assertThat(storage.handled().removeOlderThan(cutoff, 8)).isEqualTo(8);
        assertThat(storage.handled().removeOlderThan(cutoff, 8)).isEqualTo(4);
        assertThat(storage.handled().removeOlderThan(cutoff, 8)).isZero();
        assertThat(storage.handled().count()).isEqualTo(5);
        assertThat(storage.handled().contains("r0", "m20")).as("exactly at the cutoff stays").isTrue();
        assertThatThrownBy(() -> storage.handled().removeOlderThan(cutoff, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- checkpoints

    @Test
    void aCheckpointRoundTripsWithZeroChunksAbsent() {
        assertThat(storage.checkpoints().load("c")).isEmpty();
        byte[] c0 = bytes(4096, 70);
        byte[] last = bytes(100, 71); // a memory that is not a whole number of chunks
        storage.apply(List.of(
                new StorageWrite.CheckpointHeader("c", "sha-1", 3 * 4096 + 100, 4096,
                        new long[] {Long.MIN_VALUE, 0, Double.doubleToRawLongBits(2.5)}, 0),
                new StorageWrite.CheckpointChunk("c", 0, c0),
                new StorageWrite.CheckpointChunk("c", 1, null),
                new StorageWrite.CheckpointChunk("c", 3, last)));

        AgentCheckpoint back = storage.checkpoints().load("c").orElseThrow();
        assertThat(back).isEqualTo(new AgentCheckpoint("c", "sha-1", 3 * 4096 + 100, 4096,
                new long[] {Long.MIN_VALUE, 0, Double.doubleToRawLongBits(2.5)}, Map.of(0, c0, 3, last), 0));
        assertThat(back.chunks()).as("chunks of zeros are not stored").containsOnlyKeys(0, 3);

        storage.apply(List.of(new StorageWrite.CheckpointChunk("c", 0, null),
                new StorageWrite.CheckpointHeader("c", "sha-1", 3 * 4096 + 100, 4096, new long[3], 1)));
        assertThat(storage.checkpoints().load("c").orElseThrow().chunks()).containsOnlyKeys(3);
        assertThat(storage.checkpoints().load("c").orElseThrow().chunks().get(3)).as("unwritten chunks keep their content")
                .isEqualTo(last);
    }

    @Test
    void aSmallerMemoryRemovesTheChunksPastItsSize() {
        storage.apply(List.of(new StorageWrite.CheckpointHeader("g", "d", 4 * 1024, 1024, new long[0], 0),
                new StorageWrite.CheckpointChunk("g", 0, bytes(1024, 72)),
                new StorageWrite.CheckpointChunk("g", 1, bytes(1024, 73)),
                new StorageWrite.CheckpointChunk("g", 2, bytes(1024, 74)),
                new StorageWrite.CheckpointChunk("g", 3, bytes(1024, 75))));
        storage.apply(List.of(new StorageWrite.CheckpointHeader("g", "d", 1024 + 1, 1024, new long[0], 1)));
        assertThat(storage.checkpoints().load("g").orElseThrow().chunks()).containsOnlyKeys(0, 1);

        storage.apply(List.of(new StorageWrite.CheckpointHeader("g", "d", 4 * 1024, 1024, new long[0], 2)));
        AgentCheckpoint grown = storage.checkpoints().load("g").orElseThrow();
        assertThat(grown.chunks()).as("growing again does not bring removed chunks back").containsOnlyKeys(0, 1);
        assertThat(grown.chunks().get(1)).isEqualTo(bytes(1024, 73));

        storage.apply(List.of(new StorageWrite.CheckpointHeader("g", "d", 0, 1024, new long[0], 3)));
        assertThat(storage.checkpoints().load("g").orElseThrow().chunks()).isEmpty();
        assertThat(storage.checkpoints().load("g").orElseThrow().memorySize()).isZero();
    }

    @Test
    void aDroppedCheckpointIsGoneAndMayComeBackWithAnotherChunkSize() {
        storage.apply(List.of(new StorageWrite.CheckpointHeader("x", "old", 2048, 1024, new long[] {5}, 4),
                new StorageWrite.CheckpointChunk("x", 0, bytes(1024, 80)),
                new StorageWrite.CheckpointChunk("x", 1, bytes(1024, 81)),
                new StorageWrite.CheckpointHeader("y", "other", 1024, 1024, new long[0], 0)));
        storage.apply(List.of(new StorageWrite.CheckpointDrop("x")));
        assertThat(storage.checkpoints().load("x")).isEmpty();
        assertThat(storage.checkpoints().load("y")).as("other agents keep theirs").isPresent();
        assertThat(storage.checkpoints().count()).isEqualTo(1);
        storage.apply(List.of(new StorageWrite.CheckpointDrop("never-had-one")));

        // A new module with another chunk size: drop first, in the same batch, as the SPI asks.
        storage.apply(List.of(new StorageWrite.CheckpointHeader("y", "other", 1024, 1024, new long[0], 1),
                new StorageWrite.CheckpointChunk("y", 0, bytes(1024, 82))));
        storage.apply(List.of(new StorageWrite.CheckpointDrop("y"),
                new StorageWrite.CheckpointHeader("y", "new", 4096, 4096, new long[] {9}, 0),
                new StorageWrite.CheckpointChunk("y", 0, bytes(4096, 83))));
        assertThat(storage.checkpoints().load("y")).contains(new AgentCheckpoint("y", "new", 4096, 4096, new long[] {9},
                Map.of(0, bytes(4096, 83)), 0));
    }

    // ---------------------------------------------------------------- TTL cleanup

    @Test
    void oldOutboxMessagesAreRemovedOldestFirstInBatchesAndReturned() {
        for (int i = 0; i < 12; i++) {
            storage.outbox().add(new StoredMessage("m" + i, "r", bytes(8, i), "", i, T0.plusSeconds(i)));
        }
        Instant cutoff = T0.plusSeconds(10);
        List<StoredMessage> first = storage.outbox().removeOlderThan(cutoff, 4);
        assertThat(first).extracting(StoredMessage::id).containsExactly("m0", "m1", "m2", "m3");
        assertThat(first.getFirst()).isEqualTo(new StoredMessage("m0", "r", bytes(8, 0), "", 0, T0));
        assertThat(storage.outbox().removeOlderThan(cutoff, 4)).extracting(StoredMessage::id)
                .containsExactly("m4", "m5", "m6", "m7");
        assertThat(storage.outbox().removeOlderThan(cutoff, 4)).extracting(StoredMessage::id).containsExactly("m8", "m9");
        assertThat(storage.outbox().removeOlderThan(cutoff, 4)).isEmpty();
        assertThat(storage.outbox().pending(10)).extracting(StoredMessage::id).containsExactly("m10", "m11");
        assertThatThrownBy(() -> storage.outbox().removeOlderThan(cutoff, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void oldDeadLettersAreRemovedOldestFirstInBatches() {
        for (int i = 0; i < 10; i++) {
            storage.deadLetters().add(message("d" + i, T0.plusSeconds(i), 1, "why"));
        }
        Instant cutoff = T0.plusSeconds(7);
        assertThat(storage.deadLetters().removeOlderThan(cutoff, 3)).isEqualTo(3);
        assertThat(storage.deadLetters().get("d2")).isEmpty();
        assertThat(storage.deadLetters().get("d3")).isPresent();
        assertThat(storage.deadLetters().removeOlderThan(cutoff, 3)).isEqualTo(3);
        assertThat(storage.deadLetters().removeOlderThan(cutoff, 3)).isEqualTo(1);
        assertThat(storage.deadLetters().removeOlderThan(cutoff, 3)).isZero();
        assertThat(storage.deadLetters().list(10)).extracting(StoredMessage::id).containsExactly("d9", "d8", "d7");
    }

    @Test
    void idleConversationsAreRemovedInBatches() {
        var conv = storage.conversations();
        for (int i = 0; i < 7; i++) {
            conv.append(entry("idle-" + i, "m", T0.plusSeconds(i)));
        }
        conv.append(entry("busy", "m", T0.plusSeconds(100)));
        Instant cutoff = T0.plusSeconds(50);
        assertThat(conv.removeIdleSince(cutoff, 3)).isEqualTo(3);
        assertThat(conv.removeIdleSince(cutoff, 3)).isEqualTo(3);
        assertThat(conv.removeIdleSince(cutoff, 3)).isEqualTo(1);
        assertThat(conv.removeIdleSince(cutoff, 3)).isZero();
        for (int i = 0; i < 7; i++) {
            assertThat(conv.count("idle-" + i)).isZero();
        }
        assertThat(conv.count("busy")).isEqualTo(1);
    }

    // ---------------------------------------------------------------- durability of the new stores

    @Test
    void aDurableStoreKeepsBatchesAcrossCloseAndReopen() {
        assumeThat(storage.durable()).as("only durable stores promise to survive a restart").isTrue();
        StoredMessage a = new StoredMessage("same", "a", bytes(10, 90), "", 0, T0);
        StoredMessage b = new StoredMessage("same", "b", bytes(10, 91), "", 2, T0);
        AgentCheckpoint expected = new AgentCheckpoint("agent", "digest", 5000, 1024, new long[] {42, -7},
                Map.of(1, bytes(1024, 92), 4, bytes(5000 - 4096, 93)), 12);
        storage.apply(List.of(new StorageWrite.OutboxAdd(a), new StorageWrite.OutboxAdd(b),
                new StorageWrite.MarkHandled("a", "earlier", T0),
                new StorageWrite.DeadLetterAdd(message("dl", T0, 3, "gave up")),
                new StorageWrite.CheckpointHeader("agent", "digest", 5000, 1024, new long[] {42, -7}, 12),
                new StorageWrite.CheckpointChunk("agent", 1, bytes(1024, 92)),
                new StorageWrite.CheckpointChunk("agent", 4, bytes(5000 - 4096, 93)),
                new StorageWrite.CheckpointHeader("dropped", "d", 10, 16, new long[0], 0)));
        storage.apply(List.of(new StorageWrite.CheckpointDrop("dropped")));
        storage.close();

        storage = open();
        assertThat(storage.outbox().pending(10)).containsExactly(a, b);
        List<StoredMessage> walked = new ArrayList<>();
        storage.outbox().forEachPending(walked::add);
        assertThat(walked).containsExactly(a, b);
        assertThat(storage.handled().contains("a", "earlier")).isTrue();
        assertThat(storage.handled().count()).isEqualTo(1);
        assertThat(storage.deadLetters().get("dl")).isPresent();
        assertThat(storage.checkpoints().load("agent")).contains(expected);
        assertThat(storage.checkpoints().load("dropped")).isEmpty();
        assertThat(storage.checkpoints().count()).isEqualTo(1);
        assertThat(storage.handled().removeOlderThan(T0.plusSeconds(1), 10)).isEqualTo(1);
        assertThat(storage.outbox().removeOlderThan(T0.plusSeconds(1), 10)).containsExactly(a, b);
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void concurrentAppendsToOneConversationGetUniqueConsecutiveSequences() throws Exception {
        int threads = 8;
        int perThread = 150;
        List<Long> sequences = Collections.synchronizedList(new ArrayList<>());
        runConcurrently(threads, t -> () -> {
            for (int i = 0; i < perThread; i++) {
                sequences.add(storage.conversations().append(entry("shared", "t" + t + "-" + i, T0)));
            }
            return null;
        });

        int total = threads * perThread;
        assertThat(sequences).hasSize(total).doesNotHaveDuplicates();
        assertThat(sequences).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
        List<ConversationEntry> history = storage.conversations().history("shared");
        assertThat(history).extracting(ConversationEntry::sequence)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
        assertThat(history).extracting(ConversationEntry::messageId).doesNotHaveDuplicates();
    }

    @Test
    void concurrentOutboxAddsAreAllKept() throws Exception {
        int threads = 8;
        int perThread = 150;
        runConcurrently(threads, t -> () -> {
            for (int i = 0; i < perThread; i++) {
                storage.outbox().add(message("t" + t + "-" + i, T0.plusMillis(i), 0, ""));
                storage.deadLetters().add(message("t" + t + "-" + i, T0.plusMillis(i), 1, "r"));
            }
            return null;
        });

        int total = threads * perThread;
        assertThat(storage.outbox().count()).isEqualTo(total);
        assertThat(storage.deadLetters().count()).isEqualTo(total);
        List<StoredMessage> pending = storage.outbox().pending(total + 10);
        assertThat(pending).hasSize(total).extracting(StoredMessage::id).doesNotHaveDuplicates();
        assertThat(pending).extracting(StoredMessage::at).isSorted();
    }

    @Test
    void readersNeverSeeHalfABatch() throws Exception {
        // Each batch moves one token from one receiver to the other and marks the move handled:
        // a reader seeing part of a batch would count zero or two tokens.
        storage.outbox().add(new StoredMessage("token", "left", bytes(8, 95), "", 0, T0));
        int moves = 300;
        runConcurrently(3, t -> () -> {
            if (t == 0) {
                for (int i = 0; i < moves; i++) {
                    String from = i % 2 == 0 ? "left" : "right";
                    String to = i % 2 == 0 ? "right" : "left";
                    storage.apply(List.of(new StorageWrite.OutboxRemove(from, "token"),
                            new StorageWrite.MarkHandled(from, "move-" + i, T0.plusSeconds(i)),
                            new StorageWrite.OutboxAdd(new StoredMessage("token", to, bytes(8, 95), "", 0, T0))));
                }
            } else {
                for (int i = 0; i < moves; i++) {
                    assertThat(storage.outbox().count()).as("one token, never none or two").isEqualTo(1);
                    assertThat(storage.outbox().pending(5)).hasSize(1);
                }
            }
            return null;
        });
        assertThat(storage.handled().count()).isEqualTo(moves);
        assertThat(storage.outbox().pending(5)).singleElement().extracting(StoredMessage::receiver).isEqualTo("left");
    }

    @Test
    void concurrentReadersSeeCompleteRecordsWhileWritersReplaceThem() throws Exception {
        byte[] v1 = bytes(4096, 15);
        byte[] v2 = bytes(4096, 16);
        storage.agents().put(agent("flip", v1));
        runConcurrently(4, t -> () -> {
            for (int i = 0; i < 100; i++) {
                if (t % 2 == 0) {
                    storage.agents().put(agent("flip", (i + t) % 2 == 0 ? v1 : v2));
                } else {
                    byte[] seen = storage.agents().get("flip").orElseThrow().module();
                    assertThat(seen.length == v1.length && (java.util.Arrays.equals(seen, v1)
                            || java.util.Arrays.equals(seen, v2))).as("a whole module, never a mix").isTrue();
                }
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- durability

    @Test
    void anAgentsLastStateIsWhatComesBack() {
        storage.agents().put(agent("f", bytes(10, 21)));
        storage.agents().put(agent("f", bytes(10, 21)).withState("failed", T0.plusSeconds(5)));
        if (storage.durable()) {
            storage.close();
            storage = open();
        }
        AgentRecord back = storage.agents().get("f").orElseThrow();
        assertThat(back.state()).isEqualTo("failed");
        assertThat(back.updatedAt()).isEqualTo(T0.plusSeconds(5));
    }

    @Test
    void aDurableStoresFilesAreReadableByTheirOwnerOnly() throws java.io.IOException {
        assumeThat(storage.durable()).as("only durable stores write files").isTrue();
        storage.agents().put(agent("a", bytes(100, 22)));
        storage.deadLetters().add(message("d", T0, 0, "why"));
        try (var files = java.nio.file.Files.walk(dataDir)) {
            for (Path f : files.toList()) {
                java.util.Set<java.nio.file.attribute.PosixFilePermission> perms =
                        java.nio.file.Files.getPosixFilePermissions(f);
                assertThat(perms).as("%s (%s)", f, java.nio.file.attribute.PosixFilePermissions.toString(perms))
                        .noneMatch(x -> x.name().startsWith("OTHERS"))
                        .noneMatch(x -> !f.equals(dataDir) && x.name().startsWith("GROUP"));
            }
        }
    }

    @Test
    void aDurableStoreKeepsEverythingAcrossCloseAndReopen() {
        assumeThat(storage.durable()).as("only durable stores promise to survive a restart").isTrue();
        AgentRecord a = agent("a", bytes(1024 * 1024, 17));
        AgentRecord b = agent("b", bytes(10, 18)).withState("stopped", T0.plusSeconds(9));
        storage.agents().put(b);
        storage.agents().put(a);
        StoredMessage o1 = message("o1", T0, 0, "");
        StoredMessage o2 = message("o2", T0.plusSeconds(1), 2, "");
        storage.outbox().add(o2);
        storage.outbox().add(o1);
        StoredMessage d1 = message("d1", T0, 4, "timed out after 5s");
        StoredMessage d2 = message("d2", T0.plusSeconds(1), 1, "trap: unreachable");
        storage.deadLetters().add(d1);
        storage.deadLetters().add(d2);
        storage.conversations().append(entry("c", "m1", T0));
        storage.conversations().append(entry("c", "m2", T0.plusSeconds(1)));
        storage.conversations().append(entry("k", "n1", T0));
        storage.close();

        storage = open();
        assertThat(storage.agents().list()).containsExactly(a, b);
        assertThat(storage.outbox().pending(10)).containsExactly(o1, o2);
        assertThat(storage.outbox().count()).isEqualTo(2);
        assertThat(storage.deadLetters().list(10)).containsExactly(d2, d1);
        assertThat(storage.deadLetters().get("d1")).contains(d1);
        assertThat(storage.deadLetters().count()).isEqualTo(2);
        assertThat(storage.conversations().history("c"))
                .containsExactly(withSequence(entry("c", "m1", T0), 1), withSequence(entry("c", "m2", T0.plusSeconds(1)), 2));
        assertThat(storage.conversations().append(entry("c", "m3", T0.plusSeconds(2)))).as("numbering continues")
                .isEqualTo(3);
        assertThat(storage.conversations().append(entry("k", "n2", T0))).isEqualTo(2);
    }

    @Test
    void aDurableStoreKeepsRemovalsAcrossCloseAndReopen() {
        assumeThat(storage.durable()).as("only durable stores promise to survive a restart").isTrue();
        storage.agents().put(agent("gone", bytes(10, 19)));
        storage.agents().put(agent("kept", bytes(10, 20)));
        storage.outbox().add(message("delivered", T0, 0, ""));
        storage.deadLetters().add(message("replayed", T0, 1, "x"));
        storage.conversations().append(entry("old", "m", T0));
        storage.agents().remove("gone");
        storage.outbox().remove("receiver-of-delivered", "delivered");
        storage.deadLetters().remove("replayed");
        storage.conversations().removeIdleSince(T0.plusSeconds(1));
        storage.close();

        storage = open();
        assertThat(storage.agents().list()).extracting(AgentRecord::name).containsExactly("kept");
        assertThat(storage.outbox().count()).isZero();
        assertThat(storage.deadLetters().count()).isZero();
        assertThat(storage.conversations().history("old")).isEmpty();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Deterministic pseudo-random bytes.
     *
     * @param length the length
     * @param seed   the seed
     * @return the bytes
     */
    protected static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static ConversationEntry withSequence(ConversationEntry e, long sequence) {
        return new ConversationEntry(e.conversationId(), sequence, e.messageId(), e.sender(), e.receiver(),
                e.performative(), e.envelope(), e.at());
    }

    /** Builds the work of one thread from its index. */
    @FunctionalInterface
    private interface Work {
        Callable<Void> forThread(int index);
    }

    /**
     * Starts the threads together and waits for all of them, failing with the first failure.
     */
    private static void runConcurrently(int threads, Work work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Void>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Callable<Void> job = work.forThread(t);
                futures.add(pool.submit(() -> {
                    start.await();
                    return job.call();
                }));
            }
            start.countDown();
            for (Future<Void> f : futures) {
                f.get(90, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
