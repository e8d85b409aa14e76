package dev.caxton.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.DeployException;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.testkit.Wat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Idle pooled instances inside {@code runtime.memory_budget}: the pool books each one before making
 * it, fills only while the budget has room, and gives the room back when a deploy needs it, when an
 * agent takes an instance, and when a module leaves the cache. A "deploy" here is what the node does
 * for one: book the agent's limit, then take an instance of its shape. The instances are scripted
 * stand-ins whose linear memory is exactly what the module's memory section declares (two pages),
 * and the filler is a queue the test runs by hand.
 */
class InstancePoolBudgetTest {

    private static final long PAGE = 65536;
    /** Two pages of memory, as its memory section says: what an idle instance holds. */
    private static final byte[] TWO_PAGES = Wat.compile("(module (memory (export \"memory\") 2))");
    private static final long IDLE = 2 * PAGE;

    private final List<Runnable> filler = new CopyOnWriteArrayList<>();
    /** Every instance made, in order. */
    private final List<Guest> made = new CopyOnWriteArrayList<>();
    /** Instances that went to an agent: theirs, booked at the agent's limit. */
    private final Set<WasmInstance> taken = Collections.newSetFromMap(new IdentityHashMap<>());
    private volatile Runnable whileMaking;

    private InstancePool pool(int size, MemoryBudget budget) {
        InstancePool pool = new InstancePool(new InstancePool.Settings(size, true, 64, 0, Duration.ZERO), filler::add);
        pool.attach(budget);
        return pool;
    }

    private void runFiller() {
        while (!filler.isEmpty()) {
            filler.removeFirst().run();
        }
    }

    /** A module of its own (distinct modules are distinct shapes) with two pages of memory. */
    private Agent.Code code(long limit) {
        WasmModule module = Scripted.module((imports, limits) -> {
            Guest g = new Guest();
            made.add(g);
            Runnable r = whileMaking;
            if (r != null) {
                r.run();
            }
            return g;
        });
        return new Agent.Code(module, TWO_PAGES, null, "scripted", new AgentLimits(limit, Duration.ofSeconds(5), 0), null);
    }

    /** What the node does for a deploy: book the limit, then take a pooled instance if one is ready. */
    private void deploy(MemoryBudget budget, InstancePool pool, String agent, Agent.Code code) {
        budget.reserve(agent, code.limits().memoryBytes());
        InstancePool.Pooled p = pool.take(code);
        if (p != null) {
            taken.add(p.instance());
        }
    }

    /** The linear memory idle instances really hold: made, not taken by an agent, not closed. */
    private long idleMemory() {
        return made.stream().filter(g -> !g.closed && !taken.contains(g)).mapToLong(g -> g.memory().size()).sum();
    }

    @Test
    void manyDistinctModulesNeverTakePooledAndDeployedMemoryPastTheBudget() {
        long limit = 3 * PAGE;
        MemoryBudget budget = new MemoryBudget(16 * PAGE);
        InstancePool pool = pool(4, budget);
        int deployed = 0;
        for (int i = 0; i < 12; i++) {
            try {
                deploy(budget, pool, "agent-" + i, code(limit));
                deployed++;
            } catch (DeployException e) {
                assertThat(e.kind()).isEqualTo(DeployException.Kind.CAPACITY);
            }
            assertThat(deployed * limit + idleMemory()).as("after deploy %d", i).isLessThanOrEqualTo(budget.budget());
            runFiller();
            assertThat(deployed * limit + idleMemory()).as("after the pool filled, deploy %d", i)
                    .isLessThanOrEqualTo(budget.budget());
        }
        assertThat(budget.pooled()).as("the booking matches what idle instances hold").isEqualTo(idleMemory());
        assertThat((long) pool.idle() * IDLE).isEqualTo(idleMemory());
        assertThat(deployed).as("five agents of three pages fit 16 pages").isEqualTo(5);
        assertThat(budget.inUse()).isEqualTo(5 * limit);
        assertThat(pool.evicted()).as("later deploys took room idle instances held").isPositive();
        assertThat(pool.misses()).as("each deployed module's first deploy misses; refused ones take nothing")
                .isEqualTo(5);
        assertThat(pool.hits()).isZero();
    }

    @Test
    void aDeployWhoseOnlyObstacleIsIdleInstancesEvictsThemAndSucceeds() {
        MemoryBudget budget = new MemoryBudget(16 * PAGE);
        InstancePool pool = pool(4, budget);
        deploy(budget, pool, "a", code(4 * PAGE));
        runFiller();
        assertThat(pool.idle()).isEqualTo(4);
        assertThat(budget.pooled()).isEqualTo(4 * IDLE);
        List<Guest> idle = List.copyOf(made);

        // 4 pages booked by "a" and 8 by idle instances: 8 pages more fit only if two of them go.
        deploy(budget, pool, "b", code(8 * PAGE));
        assertThat(budget.inUse()).isEqualTo(12 * PAGE);
        assertThat(pool.idle()).as("just enough of them closed").isEqualTo(2);
        assertThat(pool.evicted()).isEqualTo(2);
        assertThat(idle.stream().filter(g -> g.closed)).hasSize(2);
        assertThat(budget.pooled()).isEqualTo(2 * IDLE);
        assertThat(budget.inUse() + budget.pooled()).isLessThanOrEqualTo(budget.budget());
        assertThat(pool.hits()).as("an eviction is neither a hit nor a miss").isZero();
        assertThat(pool.misses()).isEqualTo(2);

        // Past what the agents alone leave, a deploy is still refused, idle instances or not.
        assertThatThrownBy(() -> budget.reserve("c", 5 * PAGE)).isInstanceOf(DeployException.class)
                .hasMessageContaining("agents already hold " + 12 * PAGE + " bytes");
        assertThat(budget.inUse()).isEqualTo(12 * PAGE);
    }

    @Test
    void theOldestShapeMakesWayFirst() {
        MemoryBudget budget = new MemoryBudget(32 * PAGE);
        InstancePool pool = pool(2, budget);
        Agent.Code older = code(2 * PAGE);
        Agent.Code newer = code(2 * PAGE);
        deploy(budget, pool, "older", older);
        runFiller();
        List<Guest> olderIdle = List.copyOf(made.subList(0, 2));
        deploy(budget, pool, "newer", newer);
        runFiller();
        List<Guest> newerIdle = List.copyOf(made.subList(2, 4));
        assertThat(budget.pooled()).isEqualTo(4 * IDLE);

        // 4 pages for agents, 8 idle: 24 pages more need two idle instances' room.
        budget.reserve("big", 24 * PAGE);
        assertThat(olderIdle).allSatisfy(g -> assertThat(g.closed).isTrue());
        assertThat(newerIdle).allSatisfy(g -> assertThat(g.closed).isFalse());
    }

    @Test
    void thePoolFillsOnlyWhileTheBudgetHasRoom() {
        MemoryBudget budget = new MemoryBudget(8 * PAGE);
        InstancePool pool = pool(4, budget);
        deploy(budget, pool, "a", code(4 * PAGE));
        runFiller();
        assertThat(pool.idle()).as("room for two idle instances beside the agent").isEqualTo(2);
        assertThat(pool.instantiated()).as("the others were never made").isEqualTo(2);
        assertThat(budget.inUse() + budget.pooled()).isEqualTo(budget.budget());

        budget.release("a");
        Agent.Code again = code(2 * PAGE);
        deploy(budget, pool, "b", again);
        runFiller();
        assertThat(budget.inUse() + budget.pooled()).isLessThanOrEqualTo(budget.budget());
        assertThat(budget.pooled()).isEqualTo(idleMemory());
    }

    @Test
    void takingAnInstanceMovesItsRoomToTheAgent() {
        MemoryBudget budget = new MemoryBudget(64 * PAGE);
        InstancePool pool = pool(2, budget);
        Agent.Code code = code(4 * PAGE);
        deploy(budget, pool, "a", code);
        runFiller();
        assertThat(budget.pooled()).isEqualTo(2 * IDLE);
        deploy(budget, pool, "b", code);
        assertThat(pool.hits()).isEqualTo(1);
        assertThat(pool.idle()).isEqualTo(1);
        assertThat(budget.pooled()).as("the taken one is the agent's, booked at its limit").isEqualTo(IDLE);
        assertThat(budget.inUse()).isEqualTo(8 * PAGE);
        runFiller();
        assertThat(pool.idle()).isEqualTo(2);
        assertThat(budget.pooled()).isEqualTo(2 * IDLE);
    }

    @Test
    void undeployCacheEvictionAndCloseGiveTheRoomBack() {
        MemoryBudget budget = new MemoryBudget(64 * PAGE);
        InstancePool pool = pool(3, budget);
        Agent.Code one = code(4 * PAGE);
        Agent.Code two = code(4 * PAGE);
        deploy(budget, pool, "one", one);
        deploy(budget, pool, "two", two);
        runFiller();
        assertThat(budget.pooled()).isEqualTo(6 * IDLE);

        pool.drop(one.module());
        assertThat(budget.pooled()).as("the module left the cache with its idle instances").isEqualTo(3 * IDLE);
        budget.release("one");
        assertThat(budget.inUse()).isEqualTo(4 * PAGE);
        pool.close();
        assertThat(budget.pooled()).isZero();
        assertThat(idleMemory()).isZero();
    }

    @Test
    void anInstanceMadeWhileAnAgentTookItsRoomIsClosed() {
        MemoryBudget budget = new MemoryBudget(8 * PAGE);
        InstancePool pool = pool(1, budget);
        deploy(budget, pool, "a", code(2 * PAGE));
        // While the pool makes its instance (booked already), an agent books everything else: the
        // agent's reclaim finds nothing idle to close, so the new instance must not stay.
        whileMaking = () -> budget.reserve("b", 6 * PAGE);
        runFiller();
        whileMaking = null;
        assertThat(made.getLast().closed).isTrue();
        assertThat(pool.idle()).isZero();
        assertThat(budget.pooled()).isZero();
        assertThat(budget.inUse()).isEqualTo(budget.budget());
    }

    @Test
    void anIdleInstanceIsBookedAtItsInitialMemoryAndTables() {
        assertThat(WasmSections.initialBytes(TWO_PAGES)).isEqualTo(2 * PAGE);
        assertThat(WasmSections.initialBytes(Wat.compile("(module (memory 1 5) (table 10 funcref))")))
                .isEqualTo(PAGE + 10 * 8);
        assertThat(WasmSections.initialBytes(Wat.compile("(module (func (export \"f\")))"))).isZero();
        assertThat(WasmSections.initialBytes(new byte[] {1, 2, 3})).isEqualTo(-1);
        assertThat(WasmSections.initialBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 5, 9, 1})).as("cut short")
                .isEqualTo(-1);
        // A custom section whose size is a ten-byte LEB128 with the top bit set reads as a negative
        // length, here exactly the eleven bytes of the section's header: stepping by it would read
        // the same header for ever.
        byte[] negative = {0, 'a', 's', 'm', 1, 0, 0, 0, 0, (byte) 0xf5, (byte) 0xff, (byte) 0xff, (byte) 0xff,
            (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 0};
        assertThat(WasmSections.initialBytes(negative)).as("negative section size").isEqualTo(-1);
        assertThat(WasmSections.hasStart(negative)).as("negative section size").isTrue();
    }

    /** A never-run instance whose memory is the two pages its module declares. */
    private static final class Guest extends Scripted.Instance {
        volatile boolean closed;

        Guest() {
            super((int) IDLE);
        }

        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return Scripted.initOnly(name);
        }

        @Override
        public long[] call(String name, long... args) {
            return new long[] {0};
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
