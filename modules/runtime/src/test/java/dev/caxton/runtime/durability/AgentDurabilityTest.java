package dev.caxton.runtime.durability;

import dev.caxton.runtime.agent.AbiContract;
import dev.caxton.runtime.agent.Agent;
import dev.caxton.runtime.agent.AgentEvents;
import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.AgentState;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.cluster.JsonWire;
import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.Mailbox;
import dev.caxton.runtime.routing.QueueBudget;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.message.Priority;
import dev.caxton.spi.storage.AgentStore;
import dev.caxton.spi.storage.CheckpointStore;
import dev.caxton.spi.storage.ConversationStore;
import dev.caxton.spi.storage.DeadLetterStore;
import dev.caxton.spi.storage.HandledStore;
import dev.caxton.spi.storage.OutboxStore;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageWrite;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An agent with the node's ledger: what it writes, in which order, which duplicates it drops, the
 * ids of what it sends, and its state across a "restart" (a new agent adopting what was stored).
 * The guest is a scripted stand-in for a WebAssembly counter that keeps its count in linear memory.
 */
class AgentDurabilityTest {

    private final RecordingStorage storage = new RecordingStorage();
    private final CommitQueue commits = new CommitQueue(storage::apply, 100, Duration.ZERO);
    private final Ledger ledger = new Ledger(storage, commits, new JsonWire(), Duration.ofMinutes(10), Clock.systemUTC());
    private final Router router = new Router(new CapabilityDirectory(), (e, reason) -> { }, "test-node",
            new RetryPolicy(0, Duration.ofMillis(10), 1, Duration.ofMillis(10)), new QueueBudget(1000), e -> { });
    private final List<Agent> agents = new ArrayList<>();
    private final List<Envelope> atSink = Collections.synchronizedList(new ArrayList<>());

    AgentDurabilityTest() {
        router.register("sink", (e, listener) -> {
            atSink.add(e);
            return SendStatus.ACCEPTED;
        });
    }

    @AfterEach
    void stop() throws Exception {
        for (Agent a : agents) {
            a.undeploy(Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS);
        }
        router.close();
        commits.close();
    }

    private Agent.Context context() {
        List<Mailbox.ClassPolicy> policy = Arrays.stream(Priority.values())
                .map(p -> new Mailbox.ClassPolicy(100, Duration.ofSeconds(1))).toList();
        AgentEvents events = new AgentEvents() {
            @Override
            public void stateChanged(Agent agent, AgentState state) {
            }

            @Override
            public void faulted(Agent agent, String reason) {
            }
        };
        return new Agent.Context(router, (e, reason) -> { }, events, 1 << 20, 5, Duration.ofMinutes(1), policy, 10,
                Duration.ofMinutes(1), 1000, 1000, 64, ledger);
    }

    private final CounterModule counterModule = new CounterModule();

    private Agent counter(String name, boolean durable) {
        Agent a = new Agent(name, "id-" + name, Instant.now(), new Agent.Code(counterModule, new byte[] {1, 2, 3},
                new JsonWire(), "scripted", new AgentLimits(1 << 20, Duration.ofSeconds(5), 0), null),
                List.of(), context(), durable);
        return a;
    }

    private static Envelope message(String to, String id, String content) {
        return Envelope.builder(Performative.INFORM).sender("client-x").receiver(to).messageId(id).content(content).build();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void aMessageIsStoredBeforeItsCompletionAndLeavesWithItsHandledMarkAndCheckpoint() throws Exception {
        Agent a = counter("c", true);
        a.start();
        agents.add(a);
        assertThat(router.route(message("c", "m1", "tick")).messageId()).isEqualTo("m1");
        ledger.sync().get(30, TimeUnit.SECONDS);
        await("m1 handled", () -> storage.handledKeys.contains("c/m1"));
        ledger.sync().get(30, TimeUnit.SECONDS);

        List<StorageWrite> all = storage.all();
        int added = indexOf(all, w -> w instanceof StorageWrite.OutboxAdd add && add.message().id().equals("m1"));
        int removed = indexOf(all, w -> w instanceof StorageWrite.OutboxRemove r && r.id().equals("m1"));
        int header = indexOf(all, w -> w instanceof StorageWrite.CheckpointHeader);
        assertThat(added).isNotNegative().isLessThan(removed);
        assertThat(header).as("the checkpoint goes with the completion").isGreaterThan(removed);
        List<StorageWrite> completion = storage.batches.stream()
                .filter(b -> b.stream().anyMatch(w -> w instanceof StorageWrite.OutboxRemove)).findFirst().orElseThrow();
        assertThat(completion).anyMatch(w -> w instanceof StorageWrite.MarkHandled)
                .anyMatch(w -> w instanceof StorageWrite.CheckpointHeader);
    }

    @Test
    void theSameIdDeliveredAgainIsAcceptedAndHandledOnce() throws Exception {
        Agent a = counter("c", false);
        a.start();
        agents.add(a);
        for (int i = 0; i < 3; i++) {
            router.route(message("c", "same", "tick"));
        }
        await("same handled", () -> storage.handledKeys.contains("c/same"));
        router.route(message("c", "same", "tick"));
        router.route(message("c", "other", "tick"));
        await("other handled", () -> storage.handledKeys.contains("c/other"));
        assertThat(a.info().messagesHandled()).isEqualTo(2);
        assertThat(ledger.duplicates()).isEqualTo(3);
    }

    @Test
    void whatAnAgentSendsWhileHandlingAMessageHasAnIdDerivedFromIt() throws Exception {
        Agent a = counter("c", false);
        a.start();
        agents.add(a);
        router.route(message("c", "parent-1", "forward"));
        await("forward", () -> atSink.size() == 1);
        assertThat(atSink.getFirst().messageId()).isEqualTo(Ledger.derivedId("c", "parent-1", 0))
                .isNotEqualTo(Ledger.derivedId("c", "parent-1", 1))
                .isNotEqualTo(Ledger.derivedId("c", "parent-2", 0));
    }

    @Test
    void aDurableAgentStartedAgainFromItsStoredStateCountsOn() throws Exception {
        Agent first = counter("c", true);
        first.start();
        for (int i = 0; i < 5; i++) {
            router.route(message("c", "m" + i, "tick"));
        }
        await("five handled", () -> storage.handledKeys.contains("c/m4"));
        ledger.sync().get(30, TimeUnit.SECONDS);
        first.undeploy(Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS);

        Agent second = counter("c", true);
        assertThat(second.adoptCheckpoint(rebuild(storage.all()))).isTrue();
        second.start();
        agents.add(second);
        router.route(message("c", "m5", "forward"));
        await("forward", () -> atSink.size() == 1);
        assertThat(atSink.getFirst().content()).isEqualTo("count 6");
    }

    @Test
    void aRecycledDurableAgentKeepsItsStateAndEveryMessage() throws Exception {
        Agent a = counter("c", true);
        a.instancePool(new dev.caxton.runtime.agent.InstancePool(new dev.caxton.runtime.agent.InstancePool.Settings(
                0, false, 0, 2, Duration.ZERO), Runnable::run));
        a.start();
        agents.add(a);
        for (int i = 0; i < 5; i++) {
            router.route(message("c", "m" + i, "tick"));
        }
        router.route(message("c", "m5", "forward"));
        await("forward", () -> atSink.size() == 1);
        assertThat(atSink.getFirst().content()).as("six messages counted across three instances").isEqualTo("count 6");
        // Its reply can reach the sink before the sixth message is marked handled and the instance
        // replaced after it.
        await("six handled", () -> java.util.stream.IntStream.range(0, 6)
                .allMatch(i -> storage.handledKeys.contains("c/m" + i)));
        await("the third recycle", () -> a.recycled() == 3);
        assertThat(a.info().messagesHandled()).isEqualTo(6);
        assertThat(counterModule.made.get()).as("the first instance and one per recycle").isEqualTo(4);
        assertThat(a.state()).isEqualTo(AgentState.RUNNING);
    }

    @Test
    void anAgentThatIsNotDurableIsNeverRecycled() throws Exception {
        Agent a = counter("c", false);
        a.instancePool(new dev.caxton.runtime.agent.InstancePool(new dev.caxton.runtime.agent.InstancePool.Settings(
                0, false, 0, 1, Duration.ofNanos(1)), Runnable::run));
        a.start();
        agents.add(a);
        for (int i = 0; i < 3; i++) {
            router.route(message("c", "m" + i, "tick"));
        }
        router.route(message("c", "m3", "forward"));
        await("forward", () -> atSink.size() == 1);
        assertThat(atSink.getFirst().content()).as("its state lives only in its one instance").isEqualTo("count 4");
        assertThat(a.recycled()).isZero();
        assertThat(counterModule.made.get()).isEqualTo(1);
    }

    /** Folds the checkpoint writes into what a store would load. */
    private static dev.caxton.spi.storage.AgentCheckpoint rebuild(List<StorageWrite> writes) {
        StorageWrite.CheckpointHeader last = null;
        Map<Integer, byte[]> chunks = new java.util.TreeMap<>();
        for (StorageWrite w : writes) {
            if (w instanceof StorageWrite.CheckpointHeader h) {
                last = h;
            } else if (w instanceof StorageWrite.CheckpointChunk c) {
                if (c.bytes() == null) {
                    chunks.remove(c.index());
                } else {
                    chunks.put(c.index(), c.bytes());
                }
            }
        }
        assertThat(last).isNotNull();
        return new dev.caxton.spi.storage.AgentCheckpoint(last.agent(), last.moduleDigest(), last.memorySize(),
                last.chunkSize(), last.globals(), chunks, last.version());
    }

    private static int indexOf(List<StorageWrite> all, java.util.function.Predicate<StorageWrite> p) {
        for (int i = 0; i < all.size(); i++) {
            if (p.test(all.get(i))) {
                return i;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- a scripted counter

    /**
     * Keeps a count in bytes 0..7 of its memory; "forward" sends {@code count N} to "sink" with
     * send_message. Messages are copied to offset 1024 by the host (alloc always answers 1024).
     */
    private static final class CounterModule implements WasmModule {
        final java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public List<ImportDescriptor> imports() {
            return List.of();
        }

        @Override
        public List<ExportDescriptor> exports() {
            return List.of();
        }

        @Override
        public WasmInstance instantiate(Imports imports, InstanceLimits limits) {
            made.incrementAndGet();
            return new CounterInstance(imports);
        }
    }

    private static final class CounterInstance implements WasmInstance {
        private final Imports imports;
        private final CheckpointerTest.FakeInstance state = new CheckpointerTest.FakeInstance(1, 2, 0L);

        CounterInstance(Imports imports) {
            this.imports = imports;
        }

        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return switch (name) {
                case "alloc" -> Optional.of(new FunctionType(List.of(ValueType.I32), List.of(ValueType.I32)));
                case "handle_message" -> Optional.of(new FunctionType(List.of(ValueType.I32, ValueType.I32),
                        List.of(ValueType.I64)));
                default -> Optional.empty();
            };
        }

        @Override
        public long[] call(String name, long... args) {
            if (name.equals("alloc")) {
                return new long[] {1024};
            }
            long count = ByteBuffer.wrap(state.read(0, 8)).getLong() + 1;
            state.write(0, ByteBuffer.allocate(8).putLong(count).array());
            String in = new String(state.read(args[0], (int) args[1]), StandardCharsets.UTF_8);
            if (in.contains("forward")) {
                byte[] out = ("{\"performative\":\"inform\",\"receiver\":\"sink\",\"content\":\"count " + count + "\"}")
                        .getBytes(StandardCharsets.UTF_8);
                state.write(8192, out);
                HostFunction send = imports.functions().stream()
                        .filter(f -> f.name().equals(AbiContract.SEND_MESSAGE)).findFirst().orElseThrow();
                send.body().call(state, new long[] {8192, out.length});
            }
            return new long[] {0};
        }

        @Override
        public GuestMemory memory() {
            return state;
        }

        @Override
        public long global(String name) {
            throw new IllegalArgumentException(name);
        }

        @Override
        public long[] mutableGlobals() {
            return state.mutableGlobals();
        }

        @Override
        public void restoreMutableGlobals(long[] values) {
            state.restoreMutableGlobals(values);
        }

        @Override
        public void close() {
        }
    }
}
