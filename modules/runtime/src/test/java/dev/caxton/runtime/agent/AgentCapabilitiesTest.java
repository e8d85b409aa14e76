package dev.caxton.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.AgentState;
import dev.caxton.runtime.api.DeployException;
import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.Mailbox;
import dev.caxton.runtime.routing.QueueBudget;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.message.Priority;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Capabilities an agent registers from {@code init}: they join the directory only with an
 * instance the node keeps, and one agent holds at most {@code runtime.max_capabilities_per_agent}.
 * The guests are scripted stand-ins for WebAssembly instances, calling the real host functions.
 */
class AgentCapabilitiesTest {

    private final CapabilityDirectory directory = new CapabilityDirectory();
    private final Router router = new Router(directory, (e, reason) -> { }, "test-node",
            new RetryPolicy(0, Duration.ofMillis(10), 1, Duration.ofMillis(10)), new QueueBudget(1000), e -> { });
    private final List<Agent> agents = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Agent a : agents) {
            a.undeploy(Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS);
        }
        router.close();
    }

    private Agent.Context context(int maxCapabilities) {
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
                Duration.ofMinutes(1), 1000, 1000, maxCapabilities);
    }

    /** What a scripted init does with the host's register_capability; returns init's result. */
    @FunctionalInterface
    interface Init {
        int run(Registrar register);
    }

    @FunctionalInterface
    interface Registrar {
        int register(String capability);
    }

    private Agent agent(String name, Init init, int maxCapabilities) {
        Agent a = new Agent(name, "id-" + name, Instant.now(), code(init), List.of(), context(maxCapabilities));
        return a;
    }

    private static Agent.Code code(Init init) {
        return new Agent.Code(Scripted.module(imports -> new ScriptedInstance(init, imports)), new byte[0], null, "scripted",
                new AgentLimits(1 << 20, Duration.ofSeconds(5), 0), null);
    }

    @Test
    void aFailingInitLeavesNoCapabilityBehind() {
        Agent ghost = agent("ghost", r -> {
            assertThat(r.register("translate")).isZero();
            return 7;
        }, 64);
        assertThatThrownBy(ghost::start).isInstanceOf(DeployException.class).hasMessageContaining("init returned 7");
        assertThat(directory.holders("translate")).isEmpty();
        assertThat(directory.capabilitiesOf("ghost")).isEmpty();
        assertThat(directory.pick("translate")).isNull();
    }

    @Test
    void aSuccessfulInitsCapabilitiesAreHeld() {
        Agent real = agent("real", r -> r.register("translate"), 64);
        real.start();
        agents.add(real);
        assertThat(directory.holders("translate")).containsExactly("real");
    }

    @Test
    void aRefusedReloadDropsItsRegistrationsAndKeepsTheOldOnes() throws Exception {
        Agent a = agent("a", r -> r.register("old-cap"), 64);
        a.start();
        agents.add(a);
        var reload = a.reload(code(r -> {
            r.register("new-cap");
            return 1;
        }));
        assertThatThrownBy(() -> reload.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(DeployException.class);
        assertThat(directory.holders("new-cap")).isEmpty();
        assertThat(directory.holders("old-cap")).containsExactly("a");
    }

    @Test
    void aSuccessfulReloadReplacesTheRegistrations() throws Exception {
        Agent a = agent("a", r -> r.register("old-cap"), 64);
        a.start();
        agents.add(a);
        a.reload(code(r -> r.register("new-cap"))).get(30, TimeUnit.SECONDS);
        assertThat(directory.holders("new-cap")).containsExactly("a");
        assertThat(directory.holders("old-cap")).isEmpty();
    }

    @Test
    void registrationsPastTheCapAreRefusedWithMinusFour() {
        List<Integer> codes = new ArrayList<>();
        Agent a = agent("capped", r -> {
            for (int i = 0; i < 10; i++) {
                codes.add(r.register("cap-" + i));
            }
            codes.add(r.register("cap-0"));
            return 0;
        }, 4);
        a.start();
        agents.add(a);
        assertThat(codes).containsExactly(0, 0, 0, 0, -4, -4, -4, -4, -4, -4, 0);
        assertThat(directory.capabilitiesOf("capped")).containsExactly("cap-0", "cap-1", "cap-2", "cap-3");
    }

    @Test
    void tenThousandRegistrationsFitTheCapOfTenThousand() {
        long started = System.nanoTime();
        Agent a = agent("many", r -> {
            for (int i = 0; i < 10_000; i++) {
                if (r.register("c" + i) != 0) {
                    return 1;
                }
            }
            return 0;
        }, 10_000);
        a.start();
        agents.add(a);
        System.out.println("10,000 register_capability calls took " + (System.nanoTime() - started) / 1_000_000 + " ms");
        assertThat(directory.capabilitiesOf("many")).hasSize(10_000);
    }

    // ---------------------------------------------------------------- a scripted guest

    private static final class ScriptedInstance extends Scripted.Instance {
        private final Init init;
        private final Imports imports;

        ScriptedInstance(Init init, Imports imports) {
            super(4096);
            this.init = init;
            this.imports = imports;
        }

        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return Scripted.initOnly(name);
        }

        @Override
        public long[] call(String name, long... args) {
            if (!name.equals(AbiContract.INIT)) {
                return new long[] {0};
            }
            return new long[] {init.run(cap -> Scripted.registerCapability(imports, memory, cap))};
        }
    }
}
