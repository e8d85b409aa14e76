package dev.caxton.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.AgentState;
import dev.caxton.runtime.api.ExtismSettings;
import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.Mailbox;
import dev.caxton.runtime.routing.QueueBudget;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.message.Priority;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pool of pre-made instances: deploys take them instead of instantiating, each goes to one
 * agent only with that agent's host functions and limits, the pool is topped up off the deploy's
 * path, and it lets go of a module the cache evicted. The guest is a scripted stand-in whose init
 * registers a capability through the host functions it was instantiated with; the filler is a queue
 * the test runs by hand, so what the pool makes and when is exact.
 */
class InstancePoolTest {

    /** The smallest module binary: the header and no sections. */
    private static final byte[] EMPTY_WASM = {0, 'a', 's', 'm', 1, 0, 0, 0};
    /** The header and a start section naming function 0. */
    private static final byte[] WITH_START = {0, 'a', 's', 'm', 1, 0, 0, 0, 8, 1, 0};

    private final CapabilityDirectory directory = new CapabilityDirectory();
    private final Router router = new Router(directory, (e, reason) -> { }, "test-node",
            new RetryPolicy(0, Duration.ofMillis(10), 1, Duration.ofMillis(10)), new QueueBudget(1000), e -> { });
    private final List<Agent> agents = new ArrayList<>();
    private final List<Runnable> filler = new CopyOnWriteArrayList<>();
    private final Guests guests = new Guests();
    private final WasmModule module = guests.module;

    @AfterEach
    void stop() throws Exception {
        for (Agent a : agents) {
            a.undeploy(Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS);
        }
        router.close();
    }

    private InstancePool pool(int size, boolean prewarm) {
        return new InstancePool(new InstancePool.Settings(size, prewarm, 8, 0, Duration.ZERO), filler::add);
    }

    /** Runs what the pool queued for its background thread; returns how many tasks ran. */
    private int runFiller() {
        int n = 0;
        while (!filler.isEmpty()) {
            filler.removeFirst().run();
            n++;
        }
        return n;
    }

    private Agent.Code code(AgentLimits limits, byte[] bytes) {
        return new Agent.Code(module, bytes, null, "scripted", limits, null);
    }

    private static AgentLimits limits(int memory) {
        return new AgentLimits(memory, Duration.ofSeconds(5), 0);
    }

    private Agent deploy(String name, Agent.Code code, InstancePool pool) {
        List<Mailbox.ClassPolicy> policy = Arrays.stream(Priority.values())
                .map(p -> new Mailbox.ClassPolicy(100, Duration.ofSeconds(1))).toList();
        Agent a = new Agent(name, "id-" + name, Instant.now(), code, List.of(), new Agent.Context(router, (e, r) -> { },
                Scripted.quietEvents(), 1 << 20, 5, Duration.ofMinutes(1), policy, 10, Duration.ofMinutes(1), 1000, 1000, 64));
        a.instancePool(pool);
        a.start();
        agents.add(a);
        return a;
    }

    @Test
    void aDeployTakesAPooledInstanceWhoseHostFunctionsAreThatAgents() {
        InstancePool pool = pool(2, true);
        Agent.Code code = code(limits(1 << 20), EMPTY_WASM);

        deploy("first", code, pool);
        assertThat(pool.misses()).isEqualTo(1);
        assertThat(guests.made).as("the first deploy of a module instantiates it itself").hasSize(1);
        assertThat(runFiller()).isEqualTo(2);
        assertThat(guests.made).hasSize(3);
        assertThat(pool.idle()).isEqualTo(2);

        Agent second = deploy("second", code, pool);
        assertThat(second.state()).isEqualTo(AgentState.RUNNING);
        assertThat(pool.hits()).isEqualTo(1);
        assertThat(guests.made).as("the second deploy instantiates nothing").hasSize(3);
        Guest taken = guests.made.get(1);
        assertThat(taken.initCalls).as("init ran on the pooled instance, and only for this agent").isEqualTo(1);
        assertThat(guests.made.get(2).initCalls).as("the other one is still unused").isZero();
        assertThat(directory.capabilitiesOf("second")).as("its register_capability reached the agent that took it")
                .containsExactly("pooled-guest");
        assertThat(taken.limits).isEqualTo(code.limits().toInstanceLimits());
    }

    @Test
    void anAgentWithOtherLimitsOrPermissionsNeverGetsAnotherShapesInstance() {
        InstancePool pool = pool(1, true);
        deploy("small", code(limits(1 << 20), EMPTY_WASM), pool);
        runFiller();
        assertThat(pool.idle()).isEqualTo(1);

        Agent.Code bigger = code(limits(2 << 20), EMPTY_WASM);
        deploy("big", bigger, pool);
        assertThat(pool.hits()).isZero();
        assertThat(guests.made.getLast().limits).as("made for the big agent, with its own limit")
                .isEqualTo(bigger.limits().toInstanceLimits());

        Agent.Code narrower = new Agent.Code(module, EMPTY_WASM, null, "scripted", limits(1 << 20),
                Set.of(AbiContract.REGISTER_CAPABILITY));
        deploy("narrow", narrower, pool);
        assertThat(pool.hits()).as("other host functions granted: another shape").isZero();
        runFiller();
        assertThat(guests.made).allSatisfy(g -> assertThat(g.initCalls).isLessThanOrEqualTo(1));
    }

    @Test
    void aPooledInstanceIsHandedToOneTakerOnlyUnderContention() throws Exception {
        InstancePool pool = pool(8, true);
        Agent.Code code = code(limits(1 << 20), EMPTY_WASM);
        assertThat(pool.take(code)).isNull();
        runFiller();
        assertThat(pool.idle()).isEqualTo(8);

        int takers = 16;
        CountDownLatch go = new CountDownLatch(1);
        List<InstancePool.Pooled> got = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < takers; i++) {
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                InstancePool.Pooled p = pool.take(code);
                if (p != null) {
                    got.add(p);
                }
            });
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        Set<Object> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        got.forEach(p -> distinct.add(p.instance()));
        assertThat(got).hasSize(8);
        assertThat(distinct).hasSize(8);
        assertThat(pool.hits()).isEqualTo(8);
        assertThat(pool.misses()).isEqualTo(1 + takers - 8);
    }

    @Test
    void whatIsTakenIsMadeAgainInTheBackground() {
        InstancePool eager = pool(3, true);
        Agent.Code code = code(limits(1 << 20), EMPTY_WASM);
        eager.take(code);
        assertThat(runFiller()).as("prewarm fills the shape at once").isEqualTo(3);
        assertThat(eager.take(code)).isNotNull();
        assertThat(eager.idle()).isEqualTo(2);
        assertThat(runFiller()).isEqualTo(1);
        assertThat(eager.idle()).isEqualTo(3);

        InstancePool lazy = pool(3, false);
        lazy.take(code);
        assertThat(runFiller()).as("without prewarm one instance per use").isEqualTo(1);
        assertThat(lazy.idle()).isEqualTo(1);
        assertThat(lazy.take(code)).isNotNull();
        runFiller();
        assertThat(lazy.idle()).isEqualTo(1);
        assertThat(lazy.instantiated()).isEqualTo(2);
    }

    @Test
    void aModuleDroppedFromTheCacheTakesItsPooledInstancesWithIt() {
        InstancePool pool = pool(2, true);
        Agent.Code code = code(limits(1 << 20), EMPTY_WASM);
        pool.take(code);
        runFiller();
        List<Guest> pooled = List.copyOf(guests.made);
        assertThat(pooled).hasSize(2);
        InstancePool.Pooled taken = pool.take(code);
        assertThat(taken).isNotNull();
        // The module goes while the pool is making its replacement: that one must not land in the pool.
        guests.whileMaking = () -> pool.drop(module);
        runFiller();
        assertThat(guests.made).hasSize(3);
        assertThat(guests.made.getLast().closed).as("made while dropped, closed at once").isTrue();
        assertThat(pooled.get(1).closed).as("the idle one").isTrue();
        assertThat(pooled.get(0).closed).as("the one taken belongs to its taker").isFalse();
        assertThat(pool.idle()).isZero();
        guests.whileMaking = null;
        assertThat(pool.take(code)).as("a shape starts over after a drop").isNull();
        runFiller();
        assertThat(pool.idle()).isEqualTo(2);
    }

    @Test
    void wasiExtismAndStartFunctionsBypassThePool() {
        InstancePool pool = pool(2, true);
        AgentLimits l = limits(1 << 20);
        List<Agent.Code> unpoolable = List.of(
                code(l, WITH_START),
                code(l, new byte[] {1, 2, 3}),
                new Agent.Code(module, EMPTY_WASM, null, "scripted", l, null, true, List.of("x"), Map.of()),
                new Agent.Code(module, EMPTY_WASM, null, "scripted", l, null, false, new ExtismSettings("f", Map.of())));
        for (Agent.Code c : unpoolable) {
            assertThat(pool.poolable(c)).isFalse();
            assertThat(pool.take(c)).isNull();
        }
        assertThat(filler).isEmpty();
        assertThat(pool.misses()).as("a bypass is not a miss").isZero();
        assertThat(pool(0, true).poolable(code(l, EMPTY_WASM))).as("size 0 is off").isFalse();
    }

    @Test
    void aPooledInstanceNoAgentHoldsCannotCallTheHost() {
        InstancePool pool = pool(1, true);
        Agent.Code code = code(limits(1 << 20), EMPTY_WASM);
        pool.take(code);
        runFiller();
        InstancePool.Pooled p = pool.take(code);
        Guest g = (Guest) p.instance();
        assertThatThrownBy(() -> g.register("early")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no agent holds");
        p.binding().bind(Map.of(AbiContract.REGISTER_CAPABILITY, (mem, args) -> new long[] {0}));
        assertThatThrownBy(() -> p.binding().bind(Map.of())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closingThePoolClosesWhatItHolds() {
        InstancePool pool = pool(2, true);
        Agent.Code code = code(limits(1 << 20), EMPTY_WASM);
        pool.take(code);
        runFiller();
        pool.close();
        assertThat(guests.made).allSatisfy(g -> assertThat(g.closed).isTrue());
        assertThat(pool.take(code)).isNull();
    }

    @Test
    void sectionsAreReadForAStartSection() {
        assertThat(WasmSections.hasStart(EMPTY_WASM)).isFalse();
        assertThat(WasmSections.hasStart(WITH_START)).isTrue();
        // A custom section (id 0) of 3 bytes, then a type section (id 1) of 1 byte: no start.
        assertThat(WasmSections.hasStart(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 3, 1, 'x', 0, 1, 1, 0}))
                .isFalse();
        assertThat(WasmSections.hasStart(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 9})).as("cut short").isTrue();
    }

    // ---------------------------------------------------------------- a scripted guest

    /** Makes {@link Guest}s and keeps each one it made, in order. */
    private static final class Guests {
        final List<Guest> made = new CopyOnWriteArrayList<>();
        volatile Runnable whileMaking;
        final WasmModule module = Scripted.module((imports, limits) -> {
            Guest g = new Guest(imports, limits);
            made.add(g);
            Runnable r = whileMaking;
            if (r != null) {
                r.run();
            }
            return g;
        });
    }

    /** Its init registers "pooled-guest" through the register_capability it was linked with. */
    private static final class Guest extends Scripted.Instance {
        final Imports imports;
        final InstanceLimits limits;
        volatile int initCalls;
        volatile boolean closed;

        Guest(Imports imports, InstanceLimits limits) {
            super(4096);
            this.imports = imports;
            this.limits = limits;
        }

        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return Scripted.initOnly(name);
        }

        @Override
        public long[] call(String name, long... args) {
            if (name.equals(AbiContract.INIT)) {
                initCalls++;
                return new long[] {register("pooled-guest")};
            }
            return new long[] {0};
        }

        long register(String capability) {
            return Scripted.registerCapability(imports, memory, capability);
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
