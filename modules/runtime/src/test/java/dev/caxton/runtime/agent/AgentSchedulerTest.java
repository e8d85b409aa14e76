package dev.caxton.runtime.agent;

import dev.caxton.runtime.api.AgentState;
import dev.caxton.runtime.api.AgentLimits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.cluster.JsonWire;
import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.ClientReplies;
import dev.caxton.runtime.routing.Mailbox;
import dev.caxton.runtime.routing.QueueBudget;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.WasmTimeoutException;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.message.Priority;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Agents as tasks on a small pool of workers: a turn of at most {@code throughput} messages, workers
 * added when a long call holds one, stops that interrupt only their own agent, and 10,000 agents on a
 * handful of threads. The guests are scripted stand-ins for WebAssembly agents.
 */
class AgentSchedulerTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final List<String> deadLetters = new CopyOnWriteArrayList<>();
    private final Router router = new Router(new CapabilityDirectory(), (e, reason) -> deadLetters.add(reason),
            "test-node", new RetryPolicy(0, Duration.ofMillis(10), 1, Duration.ofMillis(10)), new QueueBudget(1_000_000),
            e -> { });
    private final ClientReplies clients = new ClientReplies(router);
    private final List<Envelope> toTester = new CopyOnWriteArrayList<>();
    // Every message any scripted guest handled, in the order they were handled, as "agent:content".
    private final List<String> handled = new CopyOnWriteArrayList<>();
    private final CountDownLatch gate = new CountDownLatch(1);
    private final CountDownLatch entered = new CountDownLatch(1);
    private final List<Agent> agents = new ArrayList<>();
    private AgentScheduler scheduler;

    @AfterEach
    void stop() throws Exception {
        gate.countDown();
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        for (Agent a : agents) {
            stopping.add(a.undeploy(Duration.ofSeconds(5)));
        }
        CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        clients.close();
        router.close();
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private void scheduler(int workers, int throughput, Duration longCall, int compensation) {
        scheduler = new AgentScheduler(new AgentScheduler.Settings(AgentScheduler.Mode.POOL, workers, throughput,
                longCall, compensation));
        router.register("tester", (e, accepted) -> {
            accepted.delivered(e);
            toTester.add(e);
            return SendStatus.ACCEPTED;
        });
    }

    private Agent deploy(String name, int memoryBytes) {
        return deploy(name, memoryBytes, AgentLimits.DEFAULT_CPU_SHARE);
    }

    private Agent deploy(String name, int memoryBytes, int cpuShare) {
        List<Mailbox.ClassPolicy> policy = Arrays.stream(Priority.values())
                .map(p -> new Mailbox.ClassPolicy(1000, Duration.ofMinutes(1))).toList();
        Agent.Context ctx = new Agent.Context(router, (e, reason) -> deadLetters.add(reason), Scripted.quietEvents(), 1 << 20, 100,
                Duration.ofMinutes(1), policy, 10, Duration.ofMinutes(5), 1000, 1000, 64, null, scheduler);
        Agent.Code code = new Agent.Code(Scripted.module(imports -> new Guest(name, memoryBytes)), new byte[0],
                new JsonWire(), "scripted", new AgentLimits(1 << 20, Duration.ofSeconds(30), 0, cpuShare), null);
        Agent a = new Agent(name, "id-" + name, Instant.now(), code, List.of(), ctx);
        a.start();
        agents.add(a);
        return a;
    }

    private void send(String to, String what) {
        router.route(Envelope.builder(Performative.REQUEST).sender("tester").receiver(to).content(what)
                .replyWith("r-" + to + "-" + what).build());
    }

    @Test
    void anAgentSpinningInALongCallDoesNotStopAnotherFromAnsweringOnOneWorker() throws Exception {
        scheduler(1, 32, Duration.ofMillis(20), 4);
        deploy("spinner", 8 * 1024);
        deploy("echo", 8 * 1024);
        send("spinner", "spin");
        entered.await(60, TimeUnit.SECONDS);
        // The only worker computes in the spinner's guest; the spinner stops only when the test lets
        // it, once echo answered, or at its time limit, which must not be what frees the worker.
        Envelope reply = clients.request(Envelope.builder(Performative.REQUEST).receiver("echo").content("hi").build(),
                WAIT, false).get(60, TimeUnit.SECONDS);
        assertThat(reply.content()).isEqualTo("hi");
        assertThat(Guest.timedOut).doesNotContain("spinner");
        assertThat(scheduler.compensationCount()).isPositive();
        gate.countDown();
        waitFor(() -> toTester.stream().anyMatch(e -> "spin".equals(e.content())));
    }

    @Test
    void aBusyAgentGivesTheWorkerUpAfterItsTurn() throws Exception {
        // No compensation here: a blocked worker must stay blocked so that the order is decided by turns alone.
        scheduler(1, 1, Duration.ofDays(1), 0);
        deploy("blocker", 8 * 1024);
        deploy("busy", 8 * 1024);
        deploy("other", 8 * 1024);
        queueBehindABlock("blocker", "busy", 20, i -> "m" + i);
        send("other", "late");
        gate.countDown();
        waitFor(() -> toTester.size() == 22);
        // One message per turn: "other" is handled long before busy's twenty are through.
        assertThat(handled.indexOf("other:late")).isLessThan(handled.indexOf("busy:m19"));
        assertThat(handled.stream().filter(h -> h.startsWith("busy:")).toList()).containsExactlyElementsOf(numbered("busy", 20));
    }

    @Test
    void anAgentQueuedDuringALongRunIsServedWhenTheTurnEnds() throws Exception {
        // One message per turn on one worker; "busy" runs alone, turn after turn, until "other" is
        // queued from inside busy's tenth message: the turn that queued it is the last before it.
        scheduler(1, 1, Duration.ofDays(1), 0);
        deploy("busy", 8 * 1024);
        deploy("other", 8 * 1024);
        queueBehindABlock("busy", "busy", 40, i -> i == 10 ? "wake-other" : "m" + i);
        gate.countDown();
        waitFor(() -> toTester.size() == 42);
        assertThat(handled.indexOf("other:late")).isEqualTo(handled.indexOf("busy:wake-other") + 1);
    }

    @Test
    void aBusyAgentThatNobodyWaitsBehindKeepsItsWorkerWithoutGoingRoundTheQueue() throws Exception {
        // One message per turn on one worker, and no other agent with work: each used-up turn used to
        // go back through the queue (and wake an idle worker, where there is one) only to be handed
        // back to the same agent.
        scheduler(1, 1, Duration.ofDays(1), 0);
        deploy("busy", 8 * 1024);
        queueBehindABlock("busy", "busy", 40, i -> "m" + i);
        long before = scheduler.turnsQueued();
        gate.countDown();
        waitFor(() -> toTester.size() == 41);
        assertThat(scheduler.turnsQueued() - before).as("turns queued for forty messages").isZero();
        assertThat(handled.stream().filter(h -> !h.equals("busy:block")).toList())
                .containsExactlyElementsOf(numbered("busy", 40));
    }

    @Test
    void busyAgentsShareTheWorkerInProportionToTheirCpuShares() throws Exception {
        // One worker, no compensation: the order in which messages are handled is decided by turns alone.
        scheduler(1, 4, Duration.ofDays(1), 0);
        deploy("blocker", 8 * 1024);
        deploy("heavy", 8 * 1024, 300);
        deploy("light", 8 * 1024, 100);
        deploy("tiny", 8 * 1024, 10);
        send("blocker", "block");
        entered.await(60, TimeUnit.SECONDS);
        int each = 400;
        for (int i = 0; i < each; i++) {
            send("heavy", "h" + i);
            send("light", "l" + i);
            send("tiny", "t" + i);
        }
        gate.countDown();
        waitFor(() -> toTester.size() == 3 * each + 1);
        // While all three still have work (the first 300 of the heavy one's messages), count what each got.
        int cut = handled.indexOf("heavy:h299");
        List<String> contended = handled.subList(0, cut + 1);
        long heavy = contended.stream().filter(h -> h.startsWith("heavy:")).count();
        long light = contended.stream().filter(h -> h.startsWith("light:")).count();
        long tiny = contended.stream().filter(h -> h.startsWith("tiny:")).count();
        System.out.printf("cpu shares 300/100/10 over %d messages: handled %d/%d/%d%n", contended.size(), heavy, light, tiny);
        assertThat((double) heavy / light).as("heavy:light").isBetween(2.7, 3.3);
        // A share below 100/throughput buys less than a message a turn and still gets its part over several turns.
        assertThat((double) light / tiny).as("light:tiny").isBetween(8.0, 12.0);
        // Each agent still handles its own messages in order.
        assertThat(handled.stream().filter(h -> h.startsWith("light:")).toList())
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, each).mapToObj(i -> "light:l" + i).toList());
    }

    @Test
    void withAffinitySpreadEachWorkerRunsPinnedToOneCpuOfTheProcess() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "Linux only");
        List<Integer> allowed = WorkerAffinity.allowedCpus();
        int workers = 2;
        scheduler = new AgentScheduler(new AgentScheduler.Settings(AgentScheduler.Mode.POOL, workers, 1,
                Duration.ofDays(1), 0, AgentScheduler.Affinity.SPREAD));
        assertThat(scheduler.workerCpus()).isNotEmpty();
        // Every worker reports what the kernel says of its own thread; tasks are taken by whichever
        // worker is free, so keep submitting until both have answered.
        Map<String, String> seen = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, List<Integer>> masks = new java.util.concurrent.ConcurrentHashMap<>();
        CountDownLatch hold = new CountDownLatch(1);
        for (int round = 0; round < 1000 && seen.size() < workers; round++) {
            CountDownLatch done = new CountDownLatch(workers);
            for (int i = 0; i < workers; i++) {
                scheduler.submit(w -> {
                    String name = Thread.currentThread().getName();
                    try {
                        String status = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/status"));
                        seen.put(name, status.lines().filter(l -> l.startsWith("Cpus_allowed_list:"))
                                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("?"));
                        masks.put(name, WorkerAffinity.allowedCpus());
                        // Hold this worker a moment so the other task goes to the other worker.
                        hold.await(5, TimeUnit.MILLISECONDS);
                    } catch (Exception e) {
                        seen.put(name, e.toString());
                    } finally {
                        done.countDown();
                    }
                });
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        }
        System.out.printf("process CPUs %s; workers pinned: %s%n", allowed, seen);
        assertThat(seen).hasSize(workers);
        for (Map.Entry<String, List<Integer>> e : masks.entrySet()) {
            assertThat(e.getValue()).as("mask of %s", e.getKey()).hasSize(1);
            int cpu = e.getValue().getFirst();
            assertThat(allowed).contains(cpu);
            assertThat(seen.get(e.getKey())).as("/proc of %s", e.getKey()).isEqualTo(Integer.toString(cpu));
        }
        if (allowed.size() >= workers) {
            assertThat(masks.values().stream().map(List::getFirst).distinct()).as("spread over distinct CPUs").hasSize(workers);
        }
    }

    @Test
    void anUnknownAffinityIsRefusedNamingTheKey() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentScheduler.Affinity.parse("compact"))
                .hasMessageContaining("runtime.scheduler.affinity").hasMessageContaining("compact");
        assertThat(AgentScheduler.Affinity.parse(" Spread ")).isEqualTo(AgentScheduler.Affinity.SPREAD);
    }

    @Test
    void aCpuShareOutOfRangeIsRefusedNamingTheField() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AgentLimits(1 << 20, Duration.ofSeconds(1), 0, 0).validate())
                .hasMessageContaining("limits.cpu_share").hasMessageContaining("1 to 1000");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AgentLimits(1 << 20, Duration.ofSeconds(1), 0, 1001).validate())
                .hasMessageContaining("limits.cpu_share").hasMessageContaining("1001");
    }

    @Test
    void aStopInterruptsOnlyItsOwnAgentAndTheWorkerServesTheNextOne() throws Exception {
        scheduler(1, 32, Duration.ofDays(1), 0);
        Agent looping = deploy("looping", 8 * 1024);
        deploy("echo", 8 * 1024);
        send("looping", "loop");
        entered.await(60, TimeUnit.SECONDS);
        send("echo", "queued-behind");
        // The stop's deadline interrupts the worker running the endless call.
        looping.undeploy(Duration.ofMillis(50)).get(60, TimeUnit.SECONDS);
        assertThat(looping.state()).isEqualTo(AgentState.STOPPED);
        waitFor(() -> toTester.stream().anyMatch(e -> "queued-behind".equals(e.content())));
        // The interrupt did not follow the worker to echo: its next call runs to the end as well.
        send("echo", "after");
        waitFor(() -> toTester.stream().anyMatch(e -> "after".equals(e.content())));
        // The only failure is the one the stop owed the sender of the interrupted message: none from echo.
        waitFor(() -> toTester.stream().anyMatch(e -> e.performative() == Performative.FAILURE));
        assertThat(toTester).filteredOn(e -> e.performative() == Performative.FAILURE)
                .singleElement().satisfies(f -> {
                    assertThat(f.sender()).isEqualTo("looping");
                    assertThat(f.inReplyTo()).isEqualTo("r-looping-loop");
                });
        assertThat(deadLetters).anyMatch(r -> r.contains("interrupted while being handled"));
    }

    @Test
    void anUndeployAnswersTheSendersOfWhatItLeftWithAFailure() throws Exception {
        Agent looping = loopingWithLeftOvers(2);
        looping.undeploy(Duration.ofMillis(50)).get(60, TimeUnit.SECONDS);
        // Each sender that asked for a reply hears why at once, as for every other dead letter,
        // instead of waiting out its own deadline.
        waitFor(() -> toTester.stream().filter(e -> e.performative() == Performative.FAILURE).count() == 3);
        Map<String, String> reasons = new java.util.HashMap<>();
        toTester.stream().filter(e -> e.performative() == Performative.FAILURE)
                .forEach(f -> reasons.put(f.inReplyTo(), String.valueOf(((Map<?, ?>) f.content()).get("reason"))));
        assertThat(reasons).containsOnlyKeys("r-looping-loop", "r-looping-left-1", "r-looping-left-2");
        assertThat(reasons.get("r-looping-loop")).contains("stopped before delivery; interrupted while being handled");
        assertThat(reasons.get("r-looping-left-1")).isEqualTo("agent 'looping' stopped before delivery");
        assertThat(reasons.get("r-looping-left-2")).isEqualTo("agent 'looping' stopped before delivery");
        assertThat(deadLetters).filteredOn(r -> r.startsWith("agent 'looping' stopped before delivery")).hasSize(3);
    }

    @Test
    void aNodeStopDeadLettersWhatItLeftWithoutAnswering() throws Exception {
        Agent looping = loopingWithLeftOvers(1);
        looping.stopForRestart(Duration.ofMillis(50), "node stopping: test").get(60, TimeUnit.SECONDS);
        waitFor(() -> deadLetters.stream().filter(r -> r.startsWith("node stopping: test")).count() == 2);
        // The senders go away with the node: answering them would only add dead letters of its own.
        deploy("echo", 8 * 1024);
        send("echo", "after");
        waitFor(() -> toTester.stream().anyMatch(e -> "after".equals(e.content())));
        assertThat(toTester).filteredOn(e -> e.performative() == Performative.FAILURE).isEmpty();
    }

    @Test
    void tenThousandAgentsAnswerOnAFewThreads() throws Exception {
        int workers = 2;
        int compensation = 4;
        int baseline = ManagementFactory.getThreadMXBean().getThreadCount();
        scheduler(workers, 32, Duration.ofSeconds(10), compensation);
        int n = 10_000;
        for (int i = 0; i < n; i++) {
            deploy("a" + i, 2048);
        }
        for (int i = 0; i < n; i++) {
            send("a" + i, "x");
        }
        waitFor(() -> toTester.size() == n);
        int threads = ManagementFactory.getThreadMXBean().getThreadCount();
        // Whatever else the JVM starts meanwhile (JIT, GC helpers) stays well within the slack.
        int bound = baseline + scheduler.maxThreads() + 32;
        System.out.printf("10,000 agents: %d live threads (baseline %d, bound %d)%n", threads, baseline, bound);
        assertThat(threads).isLessThanOrEqualTo(bound);
        assertThat(scheduler.liveWorkers()).isLessThanOrEqualTo(workers + compensation);
        assertThat(toTester).allMatch(e -> "x".equals(e.content()));
    }

    @Test
    void anUnknownModeOrASettingOutOfRangeIsRefusedNamingIt() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentScheduler.Mode.parse("fibers"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runtime.scheduler.mode")
                .hasMessageContaining("fibers");
        assertThat(AgentScheduler.Mode.parse(" Thread ")).isEqualTo(AgentScheduler.Mode.THREAD);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AgentScheduler.Settings(AgentScheduler.Mode.POOL, 1, 0,
                Duration.ofMillis(1), 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("throughput 0");
    }

    /** Holds the one worker in {@code blocked}'s "block" message and queues {@code n} messages for {@code agent} meanwhile. */
    /** An agent in an endless call on the only worker, with "left-1" to "left-n" queued behind it. */
    private Agent loopingWithLeftOvers(int n) throws InterruptedException {
        scheduler(1, 32, Duration.ofDays(1), 0);
        Agent looping = deploy("looping", 8 * 1024);
        send("looping", "loop");
        entered.await(60, TimeUnit.SECONDS);
        for (int i = 1; i <= n; i++) {
            send("looping", "left-" + i);
        }
        return looping;
    }

    private void queueBehindABlock(String blocked, String agent, int n, java.util.function.IntFunction<String> content)
            throws InterruptedException {
        send(blocked, "block");
        entered.await(60, TimeUnit.SECONDS);
        for (int i = 0; i < n; i++) {
            send(agent, content.apply(i));
        }
    }

    /** @return "agent:m0" to "agent:m(n-1)", the order in which an agent handles what it was sent */
    private static List<String> numbered(String agent, int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> agent + ":m" + i).toList();
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 120 s");
            }
            Thread.sleep(5);
        }
    }

    // ---------------------------------------------------------------- a scripted echo guest

    /**
     * An echo guest. "spin" computes until the test opens the gate or, standing in for the engine's
     * watchdog, until 30 s pass (noted in {@link #timedOut}); "block" waits for the gate; "loop"
     * computes until its thread is interrupted.
     */
    private final class Guest extends Scripted.Instance {
        static final List<String> timedOut = new CopyOnWriteArrayList<>();
        private final String agent;
        private final int replyAt;
        private final JsonWire json = new JsonWire();

        Guest(String agent, int memoryBytes) {
            super(memoryBytes);
            this.agent = agent;
            this.replyAt = memoryBytes / 2;
        }

        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return Scripted.messageAbiOnly(name);
        }

        @Override
        public long[] call(String name, long... args) {
            if (!name.equals(AbiContract.HANDLE_MESSAGE)) {
                return new long[] {0};
            }
            Map<?, ?> in = (Map<?, ?>) json.decodeValue(memory.read(args[0], (int) args[1]));
            String content = String.valueOf(in.get("content"));
            handled.add(agent + ":" + content);
            switch (content) {
                case "spin" -> {
                    entered.countDown();
                    long limit = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (gate.getCount() > 0) {
                        if (System.nanoTime() - limit > 0) {
                            timedOut.add(agent);
                            throw new WasmTimeoutException("execution exceeded the time limit");
                        }
                        Thread.onSpinWait();
                    }
                }
                case "block" -> {
                    entered.countDown();
                    try {
                        gate.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                case "wake-other" -> send("other", "late");
                case "loop" -> {
                    entered.countDown();
                    while (!Thread.interrupted()) {
                        Thread.onSpinWait();
                    }
                    throw new WasmTimeoutException("interrupted");
                }
                default -> {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new WasmTimeoutException("interrupted before it began");
                    }
                }
            }
            byte[] reply = json.encodeValue(Map.of("performative", "inform", "content", content));
            memory.write(replyAt, reply);
            return new long[] {((long) replyAt << 32) | reply.length};
        }
    }
}
