package dev.caxton.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.AgentState;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.cluster.JsonWire;
import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.ClientReplies;
import dev.caxton.runtime.routing.Mailbox;
import dev.caxton.runtime.routing.QueueBudget;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmTimeoutException;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.message.Priority;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Synchronous requests (the caller joins the reply at once) to an idle agent run on the caller's
 * thread; everything else still goes through the mailbox and the agent's thread. The guest is a
 * scripted stand-in for a WebAssembly echo agent that notes which thread ran each message.
 */
class AgentInlineTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final List<String> deadLetters = new CopyOnWriteArrayList<>();
    // Every message handed to a waiting client, as the router's listener hears of it.
    private final List<Envelope> toClients = new CopyOnWriteArrayList<>();
    private final Router router = new Router(new CapabilityDirectory(), (e, reason) -> deadLetters.add(reason),
            "test-node", new RetryPolicy(0, Duration.ofMillis(10), 1, Duration.ofMillis(10)), new QueueBudget(1000),
            e -> {
                if (e.receiver() != null && e.receiver().startsWith(ClientReplies.CLIENT_PREFIX)) {
                    toClients.add(e);
                }
            });
    private final ClientReplies clients = new ClientReplies(router);
    private final Guest guest = new Guest(router);
    private final List<Envelope> toTester = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService fakeWatchdog = Executors.newSingleThreadScheduledExecutor();
    private Agent agent;
    private Agent other;

    @AfterEach
    void stop() throws Exception {
        guest.gate.countDown();
        if (agent != null) {
            agent.undeploy(Duration.ofSeconds(5)).get(60, TimeUnit.SECONDS);
        }
        if (other != null) {
            other.undeploy(Duration.ofSeconds(5)).get(60, TimeUnit.SECONDS);
        }
        clients.close();
        router.close();
        fakeWatchdog.shutdownNow();
    }

    private Agent start() {
        agent = deploy("echo");
        router.register("tester", (e, accepted) -> {
            accepted.delivered(e);
            toTester.add(e);
            return SendStatus.ACCEPTED;
        });
        return agent;
    }

    private Agent deploy(String agentName) {
        List<Mailbox.ClassPolicy> policy = Arrays.stream(Priority.values())
                .map(p -> new Mailbox.ClassPolicy(100, Duration.ofSeconds(1))).toList();
        AgentEvents events = new AgentEvents() {
            @Override
            public void stateChanged(Agent a, AgentState state) {
            }

            @Override
            public void faulted(Agent a, String reason) {
            }
        };
        Agent.Context ctx = new Agent.Context(router, (e, reason) -> deadLetters.add(reason), events, 1 << 20, 100,
                Duration.ofMinutes(1), policy, 10, Duration.ofMinutes(1), 1000, 1000, 64);
        Agent.Code code = new Agent.Code(Scripted.module(imports -> new GuestInstance(guest, imports, fakeWatchdog)), new byte[0], new JsonWire(), "scripted",
                new AgentLimits(1 << 20, Duration.ofSeconds(5), 0), null);
        Agent a = new Agent(agentName, "id-" + agentName, Instant.now(), code, List.of(), ctx);
        a.start();
        return a;
    }

    private static Envelope ask(String what) {
        return Envelope.builder(Performative.REQUEST).receiver("echo").content(what).build();
    }

    private void sendAsync(String what) {
        router.route(Envelope.builder(Performative.REQUEST).sender("tester").receiver("echo").content(what).build());
    }

    @Test
    void aSynchronousRequestToAnIdleAgentRunsOnTheCallersThread() throws Exception {
        start();
        CompletableFuture<Envelope> reply = clients.request(ask("hello"), WAIT, true);
        // Run inline, the reply is there when the request returns: nothing was handed over.
        assertThat(reply).isDone();
        assertThat(reply.get().content()).isEqualTo("hello");
        assertThat(guest.threads).containsExactly(Thread.currentThread().getName());
        assertThat(agent.inlineHandledCount()).isEqualTo(1);
        assertThat(router.inlineCount()).isEqualTo(1);
        assertThat(clients.waitingCount()).isZero();
        assertThat(agent.info().messagesHandled()).isEqualTo(1);
    }

    @Test
    void aRequestWhoseCallerDoesNotWaitAtOnceIsQueuedForTheAgentsThread() throws Exception {
        start();
        Envelope reply = clients.request(ask("hello"), WAIT, false).get(60, TimeUnit.SECONDS);
        assertThat(reply.content()).isEqualTo("hello");
        assertThat(guest.threads).containsExactly("agent-echo");
        assertThat(agent.inlineHandledCount()).isZero();
    }

    @Test
    void aSynchronousRequestToABusyAgentIsQueued() throws Exception {
        start();
        sendAsync("block");
        guest.entered.await(60, TimeUnit.SECONDS);
        // The agent's thread holds the instance: the request cannot run inline and must queue.
        CompletableFuture<Envelope> reply = clients.request(ask("after"), WAIT, true);
        guest.gate.countDown();
        Envelope r = reply.get(60, TimeUnit.SECONDS);
        assertThat(r.content()).isEqualTo("after");
        assertThat(guest.threads).containsExactly("agent-echo", "agent-echo");
        assertThat(agent.inlineHandledCount()).isZero();
        // Queued, it was answered from the agent's thread, which found the client by name, once.
        assertThat(guest.clientRegistered).containsExactly(true);
        assertThat(exactlyOneAnswer(r)).isTrue();
        waitFor(() -> !clientsLeftRegistered(r));
    }

    @Test
    void messagesQueuedDuringAnInlineCallAreHandledAfterItInOrder() throws Exception {
        start();
        CompletableFuture<Envelope> inline = new CompletableFuture<>();
        Thread caller = Thread.ofPlatform().name("sync-caller").start(() -> {
            try {
                inline.complete(clients.request(ask("block"), WAIT, true).get(60, TimeUnit.SECONDS));
            } catch (Exception e) {
                inline.completeExceptionally(e);
            }
        });
        guest.entered.await(60, TimeUnit.SECONDS);
        sendAsync("first");
        sendAsync("second");
        sendAsync("third");
        // The agent's thread takes "first" and waits for the caller to give the instance back; a
        // pooled agent's turn leaves "first" queued and asks the caller to queue the turn again.
        waitFor(() -> agent.info().queued() <= 2 || agent.turnWaitsForInlineCaller());
        guest.gate.countDown();
        assertThat(inline.get(60, TimeUnit.SECONDS).content()).isEqualTo("block");
        caller.join();
        waitFor(() -> toTester.size() == 3);
        assertThat(guest.contents).containsExactly("block", "first", "second", "third");
        assertThat(guest.threads).containsExactly("sync-caller", "agent-echo", "agent-echo", "agent-echo");
        assertThat(toTester).extracting(Envelope::content).containsExactly("first", "second", "third");
        assertThat(agent.inlineHandledCount()).isEqualTo(1);
    }

    @Test
    void aTimeLimitStopsAnInlineInfiniteLoopAndTheAgentGoesOn() throws Exception {
        start();
        Envelope reply = clients.request(ask("spin"), WAIT, true).get(60, TimeUnit.SECONDS);
        assertThat(reply.performative()).isEqualTo(Performative.FAILURE);
        assertThat(String.valueOf(reply.content())).contains("timeout");
        assertThat(guest.threads).containsExactly(Thread.currentThread().getName());
        // The engine's interrupt ended with the call: the caller's thread carries nothing away.
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        assertThat(agent.info().faults()).isEqualTo(1);
        // A fresh instance serves the next request, inline again.
        assertThat(clients.request(ask("again"), WAIT, true).get(60, TimeUnit.SECONDS).content()).isEqualTo("again");
        assertThat(agent.inlineHandledCount()).isEqualTo(2);
    }

    @Test
    void anAgentsOwnSendsDuringAnInlineCallAreNeverRunInline() throws Exception {
        start();
        // "forward" makes the guest send a message to itself while handling the request inline.
        Envelope reply = clients.request(ask("forward"), WAIT, true).get(60, TimeUnit.SECONDS);
        assertThat(reply.content()).isEqualTo("forward");
        waitFor(() -> guest.contents.size() == 2);
        assertThat(guest.contents).containsExactly("forward", "forwarded");
        assertThat(guest.threads).containsExactly(Thread.currentThread().getName(), "agent-echo");
        assertThat(agent.inlineHandledCount()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- the waiting client

    @Test
    void anInlineReplyIsHandedToTheClientWithoutRegisteringItsName() throws Exception {
        start();
        assertThat(answeredInline("hello").content()).isEqualTo("hello");
        // The router never knew the client by name.
        assertThat(guest.clientRegistered).containsExactly(false);
    }

    @Test
    void aClientHandedToAnotherAgentThatAnswersAtOnceGetsThatAnswer() throws Exception {
        start();
        other = deploy("other");
        // The other agent answered on its own thread while "echo" still ran inline on this one.
        Envelope r = answeredInline("relay");
        assertThat(r.content()).isEqualTo("answered by another agent");
        assertThat(agent.inlineHandledCount()).isEqualTo(1);
        waitFor(() -> !clientsLeftRegistered(r));
    }

    @Test
    void anAgentsOwnSendToTheClientIsItsAnswer() throws Exception {
        start();
        assertThat(answeredInline("own").content()).isEqualTo("own reply");
        assertThat(guest.clientRegistered).containsExactly(false);
    }

    /** A synchronous request answered by the time it returns, exactly once. */
    private Envelope answeredInline(String what) throws Exception {
        CompletableFuture<Envelope> reply = clients.request(ask(what), WAIT, true);
        assertThat(reply).isDone();
        assertThat(exactlyOneAnswer(reply.get())).isTrue();
        return reply.get();
    }

    @Test
    void aClientAnsweredAfterTheInlineRunByTheAgentsThreadGetsTheAnswer() throws Exception {
        start();
        CompletableFuture<Envelope> reply = clients.request(ask("later"), WAIT, true);
        assertThat(reply).isNotDone();
        sendAsync("answer-stored");
        assertThat(reply.get(60, TimeUnit.SECONDS).content()).isEqualTo("later reply");
        assertThat(guest.threads).containsExactly(Thread.currentThread().getName(), "agent-echo");
        assertThat(exactlyOneAnswer(reply.get())).isTrue();
        Envelope answer = reply.get();
        waitFor(() -> !clientsLeftRegistered(answer));
    }

    @Test
    void aTimedOutInlineClientIsNotLeftRegistered() throws Exception {
        start();
        Envelope r = clients.request(ask("later"), Duration.ofMillis(50), true).get(60, TimeUnit.SECONDS);
        assertThat(r.performative()).isEqualTo(Performative.FAILURE);
        waitFor(() -> !clientsLeftRegistered(r));
        // The answer that comes after the wait is counted as unclaimed, as before.
        sendAsync("answer-stored");
        waitFor(() -> router.unclaimedClientReplies() == 1);
        assertThat(deadLetters).isEmpty();
    }

    private boolean exactlyOneAnswer(Envelope reply) throws InterruptedException {
        // Anything sent twice would be handed over on another thread soon after: give it the time.
        Thread.sleep(50);
        return toClients.stream().filter(e -> e.receiver().equals(reply.receiver())).count() == 1
                && router.unclaimedClientReplies() == 0 && deadLetters.isEmpty() && clients.waitingCount() == 0;
    }

    /**
     * Whether the client's name is still registered. The tidy-up runs on the thread that completed
     * the reply, just after the waiting caller is woken, so callers wait for this to turn false.
     */
    private boolean clientsLeftRegistered(Envelope reply) {
        return router.isRegistered(reply.receiver());
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 60 s");
            }
            Thread.sleep(5);
        }
    }

    // ---------------------------------------------------------------- a scripted echo guest

    /** What the guest saw: the content and the thread of every message, and a gate for "block". */
    private static final class Guest {
        final Router router;
        // For each message from a waiting client: whether the router knew the client by name while
        // the guest ran it.
        final List<Boolean> clientRegistered = new CopyOnWriteArrayList<>();
        final CountDownLatch answered = new CountDownLatch(1);
        volatile String storedClient;
        final List<String> contents = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);

        Guest(Router router) {
            this.router = router;
        }
    }

    private static final class GuestInstance extends Scripted.Instance {
        private static final int REPLY_AT = 32 * 1024;
        private static final int SEND_AT = 48 * 1024;
        private final Guest guest;
        private final Imports imports;
        private final ScheduledExecutorService watchdog;
        private final JsonWire json = new JsonWire();

        GuestInstance(Guest guest, Imports imports, ScheduledExecutorService watchdog) {
            super(64 * 1024);
            this.guest = guest;
            this.imports = imports;
            this.watchdog = watchdog;
        }

        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return Scripted.messageAbiOnly(name);
        }

        @Override
        public long[] call(String name, long... args) {
            if (name.equals(AbiContract.ALLOC)) {
                return new long[] {0};
            }
            if (!name.equals(AbiContract.HANDLE_MESSAGE)) {
                return new long[] {0};
            }
            Map<?, ?> in = (Map<?, ?>) json.decodeValue(memory.read(args[0], (int) args[1]));
            String content = String.valueOf(in.get("content"));
            guest.contents.add(content);
            guest.threads.add(threadLabel(Thread.currentThread()));
            Object sender = in.get("sender");
            if (sender instanceof String client && client.startsWith(ClientReplies.CLIENT_PREFIX)) {
                guest.clientRegistered.add(guest.router.isRegistered(client));
            }
            if (content.startsWith("answer:")) {
                // As another agent: answers the client named in the content itself, then says so.
                send(Map.of("performative", "inform", "receiver", content.substring("answer:".length()),
                        "content", "answered by another agent"));
                guest.answered.countDown();
                return new long[] {0};
            }
            switch (content) {
                case "relay" -> {
                    // Hands the client to another agent and waits until that one has answered it, as
                    // an agent that forwards a request would, with the other agent at its quickest.
                    send(Map.of("performative", "request", "receiver", "other", "content", "answer:" + sender));
                    try {
                        guest.answered.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return new long[] {0};
                }
                case "own" -> {
                    send(Map.of("performative", "inform", "receiver", sender, "content", "own reply"));
                    return new long[] {0};
                }
                case "later" -> {
                    guest.storedClient = (String) sender;
                    return new long[] {0};
                }
                case "answer-stored" -> {
                    send(Map.of("performative", "inform", "receiver", guest.storedClient, "content", "later reply"));
                    return new long[] {0};
                }
                default -> { }
            }
            switch (content) {
                case "block" -> {
                    guest.entered.countDown();
                    try {
                        guest.gate.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                case "spin" -> spinUntilTimeLimit();
                case "forward" -> {
                    byte[] out = json.encodeValue(Map.of("performative", "inform", "receiver", "echo",
                            "content", "forwarded"));
                    memory.write(SEND_AT, out);
                    imports.functions().stream().filter(f -> f.name().equals(AbiContract.SEND_MESSAGE)).findFirst()
                            .orElseThrow().body().call(memory, new long[] {SEND_AT, out.length});
                }
                default -> { }
            }
            if (content.equals("forwarded")) {
                return new long[] {0};
            }
            byte[] reply = json.encodeValue(Map.of("performative", "inform", "content", content));
            memory.write(REPLY_AT, reply);
            return new long[] {((long) REPLY_AT << 32) | reply.length};
        }

        private void send(Map<String, Object> message) {
            byte[] out = json.encodeValue(message);
            memory.write(SEND_AT, out);
            imports.functions().stream().filter(f -> f.name().equals(AbiContract.SEND_MESSAGE)).findFirst()
                    .orElseThrow().body().call(memory, new long[] {SEND_AT, out.length});
        }

        /**
         * The thread as the tests name it: a pool worker (the default scheduler) or the agent's own
         * thread (thread mode) both count as "the agent's thread", as opposed to a caller's.
         */
        private static String threadLabel(Thread t) {
            return t.getName().startsWith(AgentScheduler.WORKER_PREFIX) ? "agent-echo" : t.getName();
        }

        /**
         * Guest code that never returns, stopped the way the engines stop it: a watchdog interrupts
         * the calling thread at the time limit, and the engine clears the interrupt as the call ends.
         */
        private void spinUntilTimeLimit() {
            Thread caller = Thread.currentThread();
            watchdog.schedule(caller::interrupt, 50, TimeUnit.MILLISECONDS);
            while (!Thread.interrupted()) {
                Thread.onSpinWait();
            }
            throw new WasmTimeoutException("execution exceeded the time limit");
        }
    }
}
