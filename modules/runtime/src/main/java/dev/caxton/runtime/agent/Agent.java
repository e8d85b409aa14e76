package dev.caxton.runtime.agent;

import dev.caxton.runtime.api.ExtismSettings;

import dev.caxton.runtime.api.AgentInfo;
import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.AgentState;
import dev.caxton.runtime.api.DeployException;
import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.durability.Checkpointer;
import dev.caxton.runtime.durability.Ledger;
import dev.caxton.runtime.jfr.AgentFaultEvent;
import dev.caxton.runtime.jfr.MessageHandledEvent;
import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.DeadLetterSink;
import dev.caxton.runtime.routing.InlineDelivery;
import dev.caxton.runtime.routing.Mailbox;
import dev.caxton.runtime.routing.Recipient;
import dev.caxton.runtime.routing.RouteListener;
import dev.caxton.runtime.routing.Router;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.MemoryAccessException;
import dev.caxton.spi.engine.WasmFuelExhaustedException;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.engine.WasmTimeoutException;
import dev.caxton.spi.engine.WasmTrapException;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.InvalidEnvelopeException;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.storage.AgentCheckpoint;
import dev.caxton.spi.storage.StorageWrite;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * One deployed agent: its module, its one live instance, its mailbox and what feeds the mailbox
 * to the instance one message at a time (turns on the {@link AgentScheduler}'s workers, or a thread
 * of its own in thread mode), so the instance's linear memory is the agent's state between messages.
 *
 * <p>Faults (trap, time-out, fuel, a bad pointer) end only the invocation at hand: the instance is
 * dropped, the message is dead-lettered with the reason, its sender gets a {@code failure} reply when
 * it asked for one, and the next message runs on a fresh instance. Too many faults within the
 * failure window move the agent to {@link AgentState#FAILED} instead of restarting forever.
 *
 * <p>Everything the agent sends or returns while handling a message (its reply, {@code send_message}
 * calls, failure notices about it) carries that message's hop count plus one, whatever the agent
 * wrote: the agent neither sees nor sets hop counts, so it cannot launder a loop past
 * {@code messaging.max_hops}.
 */
public final class Agent implements Recipient {

    private static final System.Logger LOG = System.getLogger("caxton.agent");
    // The most bytes of one log call read from guest memory; AgentLog cuts the line shorter still.
    private static final int MAX_LOG_LINE = 16 * 1024;

    /** The sender of the messages timers deliver: not a name any agent or client can have. */
    public static final String TIMER_SENDER = "caxton:timer";
    /** Most timers one agent may have pending. */
    static final int MAX_TIMERS = 1000;
    /** Longest timer delay: 30 days. */
    static final long MAX_TIMER_DELAY_MS = 30L * 24 * 3600 * 1000;
    private static final int MAX_TIMER_TAG = 1024;
    // One thread for the timers of every agent: firing one only queues a message.
    private static final java.util.concurrent.ScheduledThreadPoolExecutor TIMERS = timerScheduler();

    private static java.util.concurrent.ScheduledThreadPoolExecutor timerScheduler() {
        var t = dev.caxton.runtime.fatal.FatalErrors.scheduler("caxton-agent-timers");
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** ABI code of {@code register_capability} for a malformed name. */
    static final int CAPABILITY_MALFORMED = -1;
    /** ABI code of {@code register_capability} past {@code runtime.max_capabilities_per_agent}. */
    static final int CAPABILITY_NOT_PERMITTED = -4;

    /**
     * Everything an agent needs from its node.
     *
     * @param logRate          lines a second an agent may log (and refusals logged about it)
     * @param logBurst         lines it may log at once after a quiet spell
     * @param maxCapabilities  the most capabilities one agent may hold, granted and registered together
     * @param scheduler        who runs the agents ({@code runtime.scheduler.*})
     */
    public record Context(Router router, DeadLetterSink deadLetters, AgentEvents events, int maxMessageBytes,
                          int maxFailures, Duration failureWindow, List<Mailbox.ClassPolicy> mailboxPolicy,
                          int batchSize, Duration messageTtl, long logRate, long logBurst, int maxCapabilities,
                          Ledger ledger, AgentScheduler scheduler) {

        /**
         * A context whose agents run on the {@link AgentScheduler#shared() shared} pool.
         *
         * @param logRate          lines a second an agent may log
         * @param logBurst         lines it may log at once
         * @param maxCapabilities  the most capabilities one agent may hold
         * @param ledger           the outbox, or null without persistence
         */
        public Context(Router router, DeadLetterSink deadLetters, AgentEvents events, int maxMessageBytes,
                       int maxFailures, Duration failureWindow, List<Mailbox.ClassPolicy> mailboxPolicy,
                       int batchSize, Duration messageTtl, long logRate, long logBurst, int maxCapabilities,
                       Ledger ledger) {
            this(router, deadLetters, events, maxMessageBytes, maxFailures, failureWindow, mailboxPolicy, batchSize,
                    messageTtl, logRate, logBurst, maxCapabilities, ledger, AgentScheduler.shared());
        }

        /**
         * A context without persistence ({@code messaging.enable_persistence} off).
         *
         * @param logRate          lines a second an agent may log
         * @param logBurst         lines it may log at once
         * @param maxCapabilities  the most capabilities one agent may hold
         */
        public Context(Router router, DeadLetterSink deadLetters, AgentEvents events, int maxMessageBytes,
                       int maxFailures, Duration failureWindow, List<Mailbox.ClassPolicy> mailboxPolicy,
                       int batchSize, Duration messageTtl, long logRate, long logBurst, int maxCapabilities) {
            this(router, deadLetters, events, maxMessageBytes, maxFailures, failureWindow, mailboxPolicy, batchSize,
                    messageTtl, logRate, logBurst, maxCapabilities, null);
        }
    }

    private final String name;
    private final String id;
    private final Instant deployedAt;
    private final Context ctx;
    private final Mailbox mailbox;
    private final Set<String> deployedCapabilities;
    // A concurrent hash set, not a copy-on-write one: each register_capability must cost the same
    // whether the agent holds 3 capabilities or 3,000.
    private final Set<String> registeredCapabilities = ConcurrentHashMap.newKeySet();
    private final AgentLog agentLog;
    // A WASI agent's stdout and stderr: lines of its log (unused by other agents).
    private final WasiOutput wasiStdout;
    private final WasiOutput wasiStderr;
    // Non-null while init runs: registrations wait here until init succeeds, so that a refused
    // deploy, reload or restart leaves nothing behind in the directory.
    private Set<String> pendingCapabilities;
    private final LongAdder handled = new LongAdder();
    private final LongAdder faults = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final ArrayDeque<Long> recentFaults = new ArrayDeque<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    private volatile AgentState state = AgentState.LOADED;
    private volatile Code code;
    private volatile PendingReload pendingReload;
    private volatile String lastFault;
    // Why messages still queued when the agent stops are dead-lettered.
    private volatile String stopReason;
    // Fuel the agent's handle_message used: last message and most so far for its current module;
    // -1 when unmetered or before the first. Written by the agent's thread only.
    private volatile long fuelLast = -1;
    private volatile long fuelMax = -1;
    // Written by the agent's thread after each message, read by metrics scrapes.
    private volatile long memoryBytes;
    private final LongAdder fuelTotal = new LongAdder();
    /** Fuel of the call in progress, for its Flight Recorder event; only the agent's thread uses it. */
    private long callFuel = -1;
    // The hop count of the message being handled, or -1 outside handle_message (init, shutdown):
    // send_message inherits it. Written and read on the thread that calls into the instance.
    private volatile int handlingHops = -1;
    // The traceparent of the message being handled, so what the agent sends joins its trace.
    private volatile String handlingTrace;
    private WasmInstance instance;
    // Volatile: a caller that ran a message inline wakes it (see releaseInline). Thread and virtual
    // modes only; in pool mode the agent has no thread of its own.
    private volatile Thread worker;
    private final AgentScheduler scheduler;
    private final boolean pooled;
    // Set once start (or startFailed) has handed the agent to its thread or the pool.
    private volatile boolean started;
    // Pool mode: whether the agent's turn is queued or running, so it is never queued twice. Stays
    // set for good once the agent stopped, so nothing queues it again.
    private final AtomicBoolean scheduled = new AtomicBoolean();
    // Pool mode: the worker running the agent's turn, so that a stop's deadline interrupts that
    // thread and only while it runs this agent. Cleared under turnLock, which the stop also takes.
    private volatile Thread runningOn;
    // Pool mode: what the agent may still handle, in hundredths of a message (see runTurn). Only the
    // thread running its turn touches it, and turns of one agent never overlap.
    private long turnCredit;
    private final Object turnLock = new Object();
    private final AgentScheduler.Task turn = this::runTurn;
    // Who may touch the instance and the per-message fields: nobody (FREE), the agent's thread, or a
    // caller running its synchronous request inline. Every hand-over is a volatile write read by
    // the next owner, so what one owner wrote is what the next one sees.
    private static final int FREE = 0;
    private static final int WORKER = 1;
    private static final int INLINE = 2;
    private static final int INLINE_WORKER_WAITING = 3;
    private final AtomicInteger owner = new AtomicInteger(FREE);
    private final LongAdder inlineHandled = new LongAdder();
    // Durable agents only: keeps storage in step with the instance's state after each message.
    private final Checkpointer checkpointer;
    // The id of the message being handled and how many messages the agent sent for it so far: with
    // persistence, what it sends gets ids derived from these, the same when a crash replays it.
    private String handlingId;
    private int outputIndex;
    // Completes the agent's replies; one, reused, as a message is handled at a time (see owner).
    private final ReplyCompletion replyCompletion;
    // True while the message being handled was checked by this node's router: run inline (checked
    // on this thread just before), or queued by the router (Mailbox.takenChecked). The owner only;
    // see nodeMade.
    private boolean handlingChecked;
    // Set when handle_message returned: the instance's state may have changed.
    private boolean touched;
    // Set when the node stops for a restart: queued messages stay in the outbox instead of being
    // dead-lettered. Also set for the message in flight when the stop interrupted it. Without an
    // outbox they are dead-lettered but not answered with a failure, as an undeploy's are: their
    // senders go away with the node, and an answer would only add dead letters to the stop's.
    private volatile boolean keepForRestart;
    private boolean leaveCurrent;
    // The ABI version of the instance last called (read once per instance, from caxton_abi_version).
    private WasmInstance abiInstance;
    private int abiVersion = 1;
    // The conversation of the message being handled: ABI 2's send_message fills it in when left out.
    private String handlingConversation;
    private final Map<Long, java.util.concurrent.ScheduledFuture<?>> timers = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong timerIds = new java.util.concurrent.atomic.AtomicLong();
    // An Extism plugin's kernel (null for a Caxton agent): its vars outlive instances, so a fault keeps them.
    private final ExtismKernel extism;
    // Pre-made instances and the recycle bounds, or null without (set before start).
    private volatile InstancePool instancePool;
    // When the newest instance was made, and how many messages the current one handled since: for
    // recycling. The agent's thread (or the inline owner) only.
    private long madeAt;
    private WasmInstance countedInstance;
    private long handledOnInstance;
    private final LongAdder recycled = new LongAdder();
    /**
     * The guest-boundary buffers, this agent's own and used only by whoever runs its message: the
     * encoding of the message going in, and the bytes of the reply or a {@code send_message} coming
     * out. Reused so a message costs no byte arrays of its own; only their first {@code length}
     * bytes are ever handed on, so nothing of an earlier, longer message is seen again.
     */
    private final dev.caxton.spi.serializer.EncodeBuffer toGuest = new dev.caxton.spi.serializer.EncodeBuffer(256);
    private byte[] fromGuest = new byte[256];

    /**
     * What an agent runs: its compiled module and how it is run.
     *
     * @param module      the compiled module
     * @param bytes       its binary (kept for persistence and inspection)
     * @param codec       the serializer for the bytes it sees
     * @param engine      the engine name
     * @param limits      its limits
     * @param permissions the host functions it may call, or null for all
     * @param wasi        whether it gets a sandboxed WASI preview 1 (deployed with {@code wasi})
     * @param wasiArgs    the program arguments its WASI shows it
     * @param wasiEnv     the environment its WASI shows it
     * @param extism      how it runs as an Extism plugin, or null for a Caxton agent
     */
    public record Code(WasmModule module, byte[] bytes, Serializer codec, String engine, AgentLimits limits,
                       Set<String> permissions, boolean wasi, List<String> wasiArgs, Map<String, String> wasiEnv,
                       ExtismSettings extism) {

        /** Copies the WASI settings. */
        public Code {
            wasiArgs = wasiArgs == null ? List.of() : List.copyOf(wasiArgs);
            wasiEnv = wasiEnv == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(wasiEnv));
        }

        /**
         * Code of a Caxton agent (not an Extism plugin) with WASI arguments and environment.
         *
         * @param module      the compiled module
         * @param bytes       its binary
         * @param codec       the serializer for the bytes it sees
         * @param engine      the engine it runs on
         * @param limits      its limits
         * @param permissions the host functions it may call, or null for all
         * @param wasi        whether it gets a sandboxed WASI preview 1
         * @param wasiArgs    the program arguments its WASI shows it
         * @param wasiEnv     the environment its WASI shows it
         */
        public Code(WasmModule module, byte[] bytes, Serializer codec, String engine, AgentLimits limits,
                    Set<String> permissions, boolean wasi, List<String> wasiArgs, Map<String, String> wasiEnv) {
            this(module, bytes, codec, engine, limits, permissions, wasi, wasiArgs, wasiEnv, null);
        }

        /**
         * Code whose WASI, if any, has no arguments and no environment.
         *
         * @param module      the compiled module
         * @param bytes       its binary
         * @param codec       the serializer for the bytes it sees
         * @param engine      the engine it runs on
         * @param limits      its limits
         * @param permissions the host functions it may call, or null for all
         * @param wasi        whether it gets a sandboxed WASI preview 1
         * @param extism      how it runs as an Extism plugin, or null for a Caxton agent
         */
        public Code(WasmModule module, byte[] bytes, Serializer codec, String engine, AgentLimits limits,
                    Set<String> permissions, boolean wasi, ExtismSettings extism) {
            this(module, bytes, codec, engine, limits, permissions, wasi, List.of(), Map.of(), extism);
        }

        /**
         * Code of a Caxton agent whose WASI, if any, has no arguments and no environment.
         *
         * @param module      the compiled module
         * @param bytes       its binary
         * @param codec       the serializer for the bytes it sees
         * @param engine      the engine name
         * @param limits      its limits
         * @param permissions the host functions it may call, or null for all
         * @param wasi        whether it gets a sandboxed WASI preview 1
         */
        public Code(WasmModule module, byte[] bytes, Serializer codec, String engine, AgentLimits limits,
                    Set<String> permissions, boolean wasi) {
            this(module, bytes, codec, engine, limits, permissions, wasi, List.of(), Map.of(), null);
        }

        /**
         * Code without WASI.
         *
         * @param module      the compiled module
         * @param bytes       its binary
         * @param codec       the serializer for the bytes it sees
         * @param engine      the engine name
         * @param limits      its limits
         * @param permissions the host functions it may call, or null for all
         */
        public Code(WasmModule module, byte[] bytes, Serializer codec, String engine, AgentLimits limits,
                    Set<String> permissions) {
            this(module, bytes, codec, engine, limits, permissions, false);
        }
    }

    private record PendingReload(Code code, boolean keepState, CompletableFuture<Void> done) {
    }

    /**
     * Creates an agent; nothing runs until {@link #start()}.
     *
     * @param name         its name
     * @param id           its stable id
     * @param deployedAt   when it was first deployed
     * @param code         what it runs
     * @param capabilities capabilities granted at deploy
     * @param ctx          its node
     */
    public Agent(String name, String id, Instant deployedAt, Code code, List<String> capabilities, Context ctx) {
        this(name, id, deployedAt, code, capabilities, ctx, false);
    }

    /**
     * Creates an agent, durable or not; nothing runs until {@link #start()}.
     *
     * @param name         its name
     * @param id           its stable id
     * @param deployedAt   when it was first deployed
     * @param code         what it runs
     * @param capabilities capabilities granted at deploy
     * @param ctx          its node
     * @param durable      whether its state is checkpointed after each message (needs the node's
     *                     ledger, i.e. {@code messaging.enable_persistence})
     */
    public Agent(String name, String id, Instant deployedAt, Code code, List<String> capabilities, Context ctx,
                 boolean durable) {
        if (durable && ctx.ledger() == null) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "a durable agent needs "
                    + "messaging.enable_persistence: true (its state is written with the messages it handles)");
        }
        this.checkpointer = durable ? new Checkpointer(name, Ledger.digest(code.bytes()), code.extism() != null) : null;
        this.name = name;
        this.replyCompletion = new ReplyCompletion(name, this::nextOutputId);
        this.id = id;
        this.deployedAt = deployedAt;
        this.code = code;
        this.ctx = ctx;
        this.mailbox = new Mailbox(ctx.mailboxPolicy(), ctx.router().budget());
        this.deployedCapabilities = Set.copyOf(capabilities);
        dev.caxton.runtime.logging.LogFields agentField = dev.caxton.runtime.logging.LogFields.agent(name);
        this.agentLog = new AgentLog((level, line) -> LOG.log(level, "[{0}] {1}", name, line, agentField),
                ctx.logRate(), ctx.logBurst(), System::nanoTime);
        this.wasiStdout = new WasiOutput(agentLog, System.Logger.Level.INFO, AgentLog.MAX_LINE_CHARS);
        this.wasiStderr = new WasiOutput(agentLog, System.Logger.Level.WARNING, AgentLog.MAX_LINE_CHARS);
        this.stopReason = "agent '" + name + "' stopped before delivery";
        this.extism = code.extism() == null ? null
                : new ExtismKernel(code.limits().memoryBytes(), code.extism().config(), code.extism().allowedHosts(),
                        agentLog::log);
        this.scheduler = ctx.scheduler();
        this.pooled = scheduler.pooled();
    }

    /**
     * Instantiates the module and runs {@code init} on the calling thread (so a failure reaches the
     * deployer), then registers the agent and starts its worker.
     *
     * @throws DeployException when instantiation or {@code init} fails
     */
    public void start() {
        Set<String> registered = new java.util.LinkedHashSet<>();
        instance = instantiate(code, registered);
        if (checkpointer != null && checkpointer.hasState()) {
            try {
                restoreState(instance);
            } catch (RuntimeException e) {
                instance.close();
                instance = null;
                throw new DeployException(DeployException.Kind.INVALID_MODULE, "cannot restore the saved state: "
                        + e.getMessage(), e);
            }
        }
        for (String c : deployedCapabilities) {
            ctx.router().directory().register(c, name);
        }
        commitRegistrations(registered);
        ctx.router().register(name, this);
        setState(AgentState.RUNNING);
        launch();
    }

    /** Hands the agent to its own thread, or to the pool when it has something to do already. */
    private void launch() {
        started = true;
        if (pooled) {
            // Only with work: an empty turn would take the instance for nothing, and a synchronous
            // request arriving meanwhile would queue behind it instead of running on its caller.
            // Whatever arrives from now on schedules itself, as started is set.
            if (hasWork()) {
                schedule();
            }
        } else {
            worker = scheduler.startAgentThread(name, this::run);
        }
    }

    /**
     * Brings back an agent that was {@link AgentState#FAILED} when the node stopped: registered, so
     * messages to it are dead-lettered with its failure as before, but with no instance until a
     * {@link #reload} gives it a module to run again.
     *
     * @param why the fault shown for it
     */
    public void startFailed(String why) {
        for (String c : deployedCapabilities) {
            ctx.router().directory().register(c, name);
        }
        lastFault = why;
        // Set without an event: storage already says failed, and the record must not change.
        state = AgentState.FAILED;
        ctx.router().register(name, this);
        launch();
    }

    /**
     * Instantiates and runs {@code init}, collecting the capabilities init registers into
     * {@code registered} instead of the directory; the caller commits them once it keeps the instance.
     */
    private WasmInstance instantiate(Code c, Set<String> registered) {
        pendingCapabilities = registered;
        try {
            return instantiateAndInit(c);
        } finally {
            pendingCapabilities = null;
        }
    }

    /**
     * Instantiates after a fault: what init registers again joins the directory at once if it
     * succeeds. A durable agent's fresh instance gets its last checkpoint back, so a fault rolls its
     * state back to the last message handled in full instead of to nothing.
     */
    private WasmInstance instantiate(Code c) {
        Set<String> registered = new java.util.LinkedHashSet<>();
        WasmInstance inst = instantiate(c, registered);
        if (checkpointer != null && checkpointer.hasState()) {
            try {
                restoreState(inst);
            } catch (RuntimeException e) {
                inst.close();
                throw new DeployException(DeployException.Kind.INVALID_MODULE, "cannot restore the saved state: "
                        + e.getMessage(), e);
            }
        }
        commitRegistrations(registered);
        return inst;
    }

    /**
     * Takes the state stored for this durable agent as its state, before {@link #start()}. A
     * checkpoint of another module is dropped (the module changed while the node was down).
     *
     * @param cp the checkpoint
     * @return false when it was not adopted (another module)
     */
    public boolean adoptCheckpoint(AgentCheckpoint cp) {
        if (checkpointer == null) {
            return false;
        }
        if (!cp.moduleDigest().equals(checkpointer.moduleDigest())) {
            ctx.ledger().write(List.of(checkpointer.reset(checkpointer.moduleDigest())));
            return false;
        }
        checkpointer.adopt(cp);
        return true;
    }

    /** Puts the last checkpoint into an instance and, for an Extism plugin, its vars into the kernel. */
    private void restoreState(WasmInstance inst) {
        checkpointer.restoreInto(inst);
        if (extism != null) {
            extism.restoreVars(checkpointer.hostState());
        }
    }

    /**
     * Gives the agent the node's instance pool, before {@link #start()}: its instances then come
     * from the pool when one is ready, and a durable agent's instance is recycled by its bounds.
     *
     * @param pool the pool, or null for none
     */
    public void instancePool(InstancePool pool) {
        this.instancePool = pool;
    }

    /** @return how many times its instance was replaced by {@code runtime.instance_pool} recycling */
    public long recycled() {
        return recycled.sum();
    }

    /** @return whether its state is checkpointed */
    public boolean durable() {
        return checkpointer != null;
    }

    private void commitRegistrations(Set<String> registered) {
        for (String cap : registered) {
            // A restart's init may name capabilities the earlier instances did not: the cap holds
            // across instances, not only within one init.
            if (!registeredCapabilities.contains(cap)
                    && deployedCapabilities.size() + registeredCapabilities.size() >= ctx.maxCapabilities()) {
                agentLog.log(System.Logger.Level.WARNING, "register_capability refused: '" + cap + "' would exceed"
                        + " runtime.max_capabilities_per_agent (" + ctx.maxCapabilities() + ")");
                continue;
            }
            registeredCapabilities.add(cap);
            ctx.router().directory().register(cap, name);
        }
    }

    private WasmInstance instantiateAndInit(Code c) {
        WasmInstance inst;
        InstancePool.Pooled fromPool = instancePool == null ? null : instancePool.take(c);
        if (fromPool != null) {
            // Made for this shape (module, limits, granted functions) and never run: only its host
            // functions still have to be pointed at this agent.
            fromPool.binding().bind(hostBodies());
            inst = fromPool.instance();
        } else {
            try {
                inst = c.module().instantiate(Imports.of(c.extism() != null ? extismFunctions(c) : hostFunctions(c)),
                        c.limits().toInstanceLimits(), c.wasi() ? wasiConfig(c) : null);
            } catch (RuntimeException e) {
                throw new DeployException(DeployException.Kind.INVALID_MODULE, "instantiation failed: " + e.getMessage(), e);
            }
        }
        madeAt = System.nanoTime();
        if ((c.wasi() || c.extism() != null) && inst.exportedFunction(WASI_INITIALIZE).isPresent()) {
            // A WASI reactor sets up its C or Rust runtime (constructors, the heap) in _initialize,
            // which must run once before anything else is called.
            try {
                inst.call(WASI_INITIALIZE);
            } catch (RuntimeException e) {
                inst.close();
                throw new DeployException(DeployException.Kind.INVALID_MODULE, WASI_INITIALIZE + " failed: " + faultReason(e), e);
            } finally {
                flushWasi();
            }
        }
        if (c.extism() != null) {
            // An Extism plugin speaks none of Caxton's ABI: no version, no init.
            return inst;
        }
        int version = declaredAbi(inst);
        if (!AbiContract.VERSIONS.contains(version)) {
            inst.close();
            throw new DeployException(DeployException.Kind.INVALID_MODULE, "the module declares ABI version " + version
                    + " (" + AbiContract.ABI_VERSION + "); this node speaks versions "
                    + AbiContract.VERSIONS.stream().sorted().map(String::valueOf).collect(java.util.stream.Collectors.joining(" and ")));
        }
        if (inst.exportedFunction(AbiContract.INIT).isPresent()) {
            long rc;
            try {
                rc = inst.call(AbiContract.INIT)[0];
            } catch (RuntimeException e) {
                inst.close();
                throw new DeployException(DeployException.Kind.INVALID_MODULE, "init failed: " + faultReason(e), e);
            } finally {
                if (c.wasi()) {
                    flushWasi();
                }
            }
            if ((int) rc != 0) {
                inst.close();
                throw new DeployException(DeployException.Kind.INVALID_MODULE, "init returned " + (int) rc
                        + " (non-zero fails the deployment)");
            }
        }
        return inst;
    }

    /** The export a WASI reactor module initialises itself with. */
    static final String WASI_INITIALIZE = "_initialize";

    /**
     * The WASI sandbox of this agent's instances: stdout and stderr into its log, nothing else of
     * the host (no arguments, no environment, no directories).
     */
    private dev.caxton.spi.engine.WasiConfig wasiConfig(Code c) {
        return new dev.caxton.spi.engine.WasiConfig(c.wasiArgs(), c.wasiEnv(), wasiStdout, wasiStderr);
    }

    /** Writes out what a WASI agent printed without a final newline, once a call into it is over. */
    private void flushWasi() {
        wasiStdout.flush();
        wasiStderr.flush();
    }

    /** The version an instance's module declares; 1 when it declares none. */
    private static int declaredAbi(WasmInstance inst) {
        if (inst.exportedFunction(AbiContract.ABI_VERSION).isEmpty()) {
            return 1;
        }
        try {
            return (int) inst.call(AbiContract.ABI_VERSION)[0];
        } catch (RuntimeException e) {
            throw new DeployException(DeployException.Kind.INVALID_MODULE, AbiContract.ABI_VERSION + " failed: "
                    + faultReason(e), e);
        }
    }

    private int abiOf(WasmInstance inst) {
        if (inst != abiInstance) {
            abiVersion = declaredAbi(inst);
            abiInstance = inst;
        }
        return abiVersion;
    }

    // ---------------------------------------------------------------- delivery

    @Override
    public SendStatus deliver(Envelope envelope, RouteListener accepted) {
        return deliver(envelope, accepted, false);
    }

    /** A message this node's router checked: a reply may trust what it copies from it (see nodeMade). */
    @Override
    public SendStatus deliverChecked(Envelope envelope, RouteListener accepted) {
        return deliver(envelope, accepted, true);
    }

    private SendStatus deliver(Envelope envelope, RouteListener accepted, boolean checked) {
        AgentState s = state;
        if (s == AgentState.FAILED) {
            String reason = "agent '" + name + "' failed" + (lastFault == null ? "" : " (last fault: " + lastFault + ")");
            ctx.deadLetters().deadLetter(envelope, reason);
            failureReply(envelope, reason);
            return SendStatus.ACCEPTED;
        }
        if (s != AgentState.RUNNING && s != AgentState.LOADED) {
            return SendStatus.UNKNOWN_RECEIVER;
        }
        if (s == AgentState.RUNNING && InlineDelivery.claim(envelope)) {
            SendStatus inline = runInline(envelope, accepted);
            if (inline != null) {
                return inline;
            }
        }
        // Queued: the agent's thread may answer before the caller gets back, and finds a waiting
        // client only by its name.
        InlineDelivery.leaving(envelope);
        Ledger ledger = ctx.ledger();
        if (ledger == null) {
            return queued(mailbox.offer(envelope, accepted, checked));
        }
        if (!ledger.admit(name, envelope)) {
            // Pending or handled already: the sender's copy is accepted, and nothing runs twice.
            return SendStatus.ACCEPTED;
        }
        SendStatus r = queued(mailbox.offer(envelope, accepted, checked));
        if (r != SendStatus.ACCEPTED) {
            ledger.refused(name, envelope);
        }
        return r;
    }

    /** In pool mode, a message just queued needs the agent's turn; its own thread wakes by itself. */
    private SendStatus queued(SendStatus s) {
        if (pooled && s == SendStatus.ACCEPTED) {
            schedule();
        }
        return s;
    }

    /**
     * Pool mode: queues the agent's turn unless it is queued or running already (the running turn
     * looks for more work as it ends). Thread mode: wakes the agent's thread.
     */
    private void wake() {
        if (pooled) {
            schedule();
        } else {
            mailbox.wakeUp();
        }
    }

    private void schedule() {
        // Read first: while the turn is queued or running (most messages of a busy agent) a plain
        // read settles it, without the compare-and-set's exclusive claim on the cache line the
        // worker also writes.
        if (started && !scheduled.get() && scheduled.compareAndSet(false, true)) {
            scheduler.submit(turn);
        }
    }

    /**
     * Puts a message recovered from the outbox after a restart into the mailbox, waiting while the
     * mailbox is full (the agent is running and drains it).
     *
     * @param envelope the message
     * @param timeout  how long to wait for room
     * @return whether it was queued (false: the agent stopped, failed, or stayed full)
     */
    public boolean redeliver(Envelope envelope, Duration timeout) {
        Ledger ledger = ctx.ledger();
        if (ledger == null || !ledger.readmit(name, envelope.messageId())) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            AgentState s = state;
            if (s != AgentState.RUNNING && s != AgentState.LOADED) {
                ledger.leftForRestart(name, envelope.messageId());
                return false;
            }
            if (queued(mailbox.offer(envelope, e -> { })) == SendStatus.ACCEPTED) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                ledger.leftForRestart(name, envelope.messageId());
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ledger.leftForRestart(name, envelope.messageId());
                return false;
            }
        }
    }

    /**
     * Runs a synchronous request on the caller's thread when the agent is idle: running, nothing
     * queued, nothing in hand, no reload pending, and nobody else running it. Returns null when it
     * is not, and the message is then queued as any other. A message queued while the caller runs
     * waits for it and is then taken by the agent's thread, so nothing queued is overtaken.
     */
    private SendStatus runInline(Envelope envelope, RouteListener accepted) {
        boolean virtual = Thread.currentThread().isVirtual();
        if (virtual && !InlineDelivery.enterVirtual()) {
            return null;
        }
        try {
            if (!owner.compareAndSet(FREE, INLINE)) {
                return null;
            }
            try {
                if (state != AgentState.RUNNING || pendingReload != null || !mailbox.isIdle()) {
                    return null;
                }
                Ledger ledger = ctx.ledger();
                // With persistence the message enters the outbox before it runs, as a queued one does.
                if (ledger != null && !ledger.admit(name, envelope)) {
                    return SendStatus.ACCEPTED;
                }
                accepted.delivered(envelope);
                inlineHandled.increment();
                ctx.router().countInline();
                handlingChecked = true;
                try {
                    process(envelope, System.nanoTime());
                } finally {
                    handlingChecked = false;
                }
                complete(envelope);
                return SendStatus.ACCEPTED;
            } finally {
                // Before the instance (and the state the guest may keep the client's name in) is
                // given to another thread, an unanswered client must be findable by name.
                InlineDelivery.leaving(envelope);
                releaseInline();
            }
        } finally {
            if (virtual) {
                InlineDelivery.leaveVirtual();
            }
        }
    }

    private void releaseInline() {
        if (!owner.compareAndSet(INLINE, FREE)) {
            // The agent's thread took a message meanwhile and waits: the instance goes straight to
            // it, so no other caller can slip in ahead of that message. In pool mode the turn that
            // found the caller running gave its worker back, and is queued again now.
            owner.set(WORKER);
            if (pooled) {
                scheduler.submit(turn);
            } else {
                LockSupport.unpark(worker);
            }
        }
    }

    /** Makes the agent's thread the owner, waiting while a caller runs a message inline. */
    private void acquire() {
        while (true) {
            int o = owner.get();
            if (o == WORKER) {
                // Handed over by releaseInline.
                return;
            }
            if (o == FREE) {
                if (owner.compareAndSet(FREE, WORKER)) {
                    return;
                }
            } else if (o == INLINE) {
                owner.compareAndSet(INLINE, INLINE_WORKER_WAITING);
            } else {
                LockSupport.park(this);
                // A stop's interrupt, or a stale one from a time-out: the state says which, and a
                // set flag would only make park return at once.
                Thread.interrupted();
            }
        }
    }

    private void releaseWorker() {
        owner.set(FREE);
    }

    private void run() {
        worker = Thread.currentThread();
        try {
            while (true) {
                PendingReload r = pendingReload;
                if (r != null) {
                    // A reload applies after the message in flight.
                    acquire();
                    try {
                        applyReload(r);
                    } finally {
                        releaseWorker();
                    }
                }
                AgentState s = state;
                if (s == AgentState.STOPPED || (s == AgentState.DRAINING && mailbox.size() == 0)) {
                    break;
                }
                Mailbox.Delivery d;
                try {
                    // One message at a time, chosen now that the agent is ready for it: its priority and
                    // how long every queued message has waited are judged at this instant, not when a
                    // batch was taken.
                    d = mailbox.take(1, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    // A stale interrupt from a time-out that fired as a call ended; only a stop ends the loop.
                    continue;
                }
                if (d != null) {
                    boolean checked = mailbox.takenChecked();
                    acquire();
                    try {
                        handleTaken(d.envelope(), d.queuedAtNanos(), checked, System.nanoTime());
                    } finally {
                        releaseWorker();
                    }
                }
            }
        } finally {
            // For good: once the agent's thread stops, no caller runs the instance inline.
            acquire();
            finishStop();
        }
    }

    /**
     * Handles a message the owner took from the mailbox.
     *
     * @param queuedAt when it was queued (the mailbox's clock)
     * @param checked  whether this node's router checked it ({@link Mailbox#takenChecked()})
     * @param now      the clock as the owner took it, for the TTL check and the handling time
     */
    private void handleTaken(Envelope m, long queuedAt, boolean checked, long now) {
        handlingChecked = checked;
        try {
            if (state == AgentState.STOPPED) {
                // The stop's deadline passed while a caller ran a message inline, or during the turn.
                leftOver(m);
            } else {
                handle(m, queuedAt, now);
                complete(m);
            }
        } finally {
            handlingChecked = false;
            mailbox.finished();
        }
    }

    /** The end of an agent, run by its owner: timers, shutdown, what is left in the mailbox. */
    private void finishStop() {
        // An interrupt that ended the last call must not also fail the dead-letter writes below.
        Thread.interrupted();
        synchronized (timers) {
            timers.values().forEach(f -> f.cancel(false));
            timers.clear();
        }
        closeInstance(true);
        for (Mailbox.Delivery left : mailbox.drain()) {
            leftOver(left.envelope());
        }
        setState(AgentState.STOPPED);
        finished.complete(null);
    }

    /**
     * One turn of a pooled agent on a worker: the pool's counterpart of {@link #run()}, handling up
     * to {@code throughput} messages, a pending reload, or the stop, and then giving the worker back.
     * The agent is queued again at the end of the line when more waits, so that others get their turn.
     */
    private void runTurn(AgentScheduler.Worker w) {
        if (!takeOwnershipForTurn()) {
            // A caller runs a message inline; releasing the instance, it queues this turn again.
            return;
        }
        runningOn = Thread.currentThread();
        boolean stop = false;
        try {
            // Deficit round robin: each turn earns throughput x share hundredths of a message, and
            // a message costs a hundred, so busy agents get worker time in proportion to their
            // shares even when a share buys less than one message a turn.
            turnCredit += scheduler.creditPerTurn(code.limits().cpuShare());
            long budget = turnCredit / AgentScheduler.MESSAGE_COST;
            while (true) {
                PendingReload r = pendingReload;
                if (r != null) {
                    applyReload(r);
                }
                AgentState s = state;
                if (s == AgentState.STOPPED || (s == AgentState.DRAINING && !mailbox.hasQueued())) {
                    stop = true;
                    break;
                }
                if (budget == 0) {
                    if (scheduler.othersWaiting()) {
                        break;
                    }
                    // Nobody waits for the worker: the turn goes on with the next turn's credit, as it
                    // would after going round the queue, without the round (a wake-up of an idle
                    // worker every throughput messages, and the agent moved between cores).
                    turnCredit += scheduler.creditPerTurn(code.limits().cpuShare());
                    budget = turnCredit / AgentScheduler.MESSAGE_COST;
                    continue;
                }
                // One message at a time, chosen when the agent is ready for it (see run()).
                // Without a Delivery record: nothing allocated per message by the mailbox.
                Envelope d = mailbox.pollEnvelope();
                if (d == null) {
                    // Credit is for catching up while busy; an idle agent must not hoard it.
                    turnCredit = 0;
                    break;
                }
                budget--;
                turnCredit -= AgentScheduler.MESSAGE_COST;
                // One clock read serves the long-call watch and the message's TTL check.
                long now = System.nanoTime();
                w.messageStarted(now);
                try {
                    handleTaken(d, mailbox.takenQueuedAtNanos(), mailbox.takenChecked(), now);
                } finally {
                    w.messageEnded();
                }
            }
        } catch (RuntimeException | Error e) {
            // Its own thread would die of this and stop the agent on the way out; so does the turn.
            stop = true;
            throw e;
        } finally {
            synchronized (turnLock) {
                runningOn = null;
                // A stop's interrupt that came after the last call must not reach the worker's next agent.
                Thread.interrupted();
            }
            if (stop) {
                // The agent keeps the instance and its turn for good: nobody runs it again.
                finishStop();
            } else {
                releaseWorker();
                scheduled.set(false);
                // Whatever arrived after the last look found the turn still set and did not queue it.
                if (hasWork()) {
                    schedule();
                }
            }
        }
    }

    /** Pool mode: makes the turn the owner, or asks an inline caller to hand the agent over. */
    private boolean takeOwnershipForTurn() {
        while (true) {
            int o = owner.get();
            if (o == WORKER) {
                // Handed over by releaseInline.
                return true;
            }
            if (o == FREE && owner.compareAndSet(FREE, WORKER)) {
                return true;
            }
            if (o == INLINE && owner.compareAndSet(INLINE, INLINE_WORKER_WAITING)) {
                return false;
            }
        }
    }

    /** @return whether the agent's thread or turn waits for an inline caller to hand the instance over */
    boolean turnWaitsForInlineCaller() {
        return owner.get() == INLINE_WORKER_WAITING;
    }

    private boolean hasWork() {
        AgentState s = state;
        return mailbox.hasQueued() || pendingReload != null || s == AgentState.STOPPED || s == AgentState.DRAINING;
    }

    /** A message the agent stopped before handling. */
    private void leftOver(Envelope left) {
        if (keepForRestart && ctx.ledger() != null) {
            // Still in the outbox: the next start delivers it.
            ctx.ledger().leftForRestart(name, left.messageId());
        } else {
            ctx.deadLetters().deadLetter(left, stopReason);
            if (!keepForRestart) {
                // As for every other message the node dead-letters: a sender that asked for a reply
                // hears why now, instead of waiting out its deadline.
                failureReply(left, stopReason);
            }
            complete(left);
        }
    }

    private void handle(Envelope m, long queuedAt, long now) {
        if (state == AgentState.FAILED) {
            String reason = "agent '" + name + "' failed (last fault: " + lastFault + ")";
            ctx.deadLetters().deadLetter(m, reason);
            failureReply(m, reason);
            return;
        }
        long waited = now - queuedAt;
        if (waited > ctx.messageTtl().toNanos()) {
            String reason = "ttl expired: waited " + TimeUnit.NANOSECONDS.toMillis(waited)
                    + "ms in the mailbox of '" + name + "' (messaging.message_ttl "
                    + ctx.messageTtl().toMillis() + "ms)";
            ctx.deadLetters().deadLetter(m, reason);
            failureReply(m, reason);
            return;
        }
        process(m, now);
    }

    /** @param start when handling began, the clock read the TTL check made (one read fewer per message) */
    private void process(Envelope msg, long start) {
        handlingHops = msg.hops();
        handlingId = msg.messageId();
        handlingConversation = msg.conversationId();
        handlingTrace = msg.traceparent();
        outputIndex = 0;
        callFuel = -1;
        MessageHandledEvent jfr = new MessageHandledEvent();
        jfr.begin();
        dev.caxton.runtime.trace.Tracer tracer = ctx.router().tracer();
        tracer.record(msg, dev.caxton.runtime.trace.Hop.DELIVERED, name, null);
        try {
            invoke(msg);
        } finally {
            handlingHops = -1;
            handlingId = null;
            handlingConversation = null;
            ctx.events().processed(this, System.nanoTime() - start);
            jfr.end();
            jfr.commit(name, msg.messageId(), callFuel);
            handlingTrace = null;
            tracer.record(msg, dev.caxton.runtime.trace.Hop.HANDLED, name, null);
        }
    }

    /**
     * Ends a message with persistence: out of the outbox and marked handled, with a durable agent's
     * checkpoint in the same transaction when handling it changed the state.
     */
    private void complete(Envelope m) {
        Ledger ledger = ctx.ledger();
        boolean wasTouched = touched;
        touched = false;
        if (ledger == null) {
            return;
        }
        if (leaveCurrent) {
            leaveCurrent = false;
            ledger.leftForRestart(name, m.messageId());
            return;
        }
        List<StorageWrite> cp = List.of();
        boolean captured = false;
        if (checkpointer != null && wasTouched && instance != null) {
            try {
                cp = checkpointer.capture(instance, extism == null ? null : extism.encodeVars());
                captured = true;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "[{0}] checkpoint failed: {1}", name, e.getMessage(),
                        dev.caxton.runtime.logging.LogFields.agent(name));
            }
        }
        ledger.completed(name, m.messageId(), cp);
        if (captured) {
            recycleIfDue();
        }
    }

    /**
     * Replaces a durable agent's instance with a fresh one once it has handled
     * {@code runtime.instance_pool.max_reuse} messages or reached {@code recycle_age}, bounding
     * what a long-lived guest heap accumulates (fragmentation, leaks). Called only right after a
     * checkpoint of the whole state was taken, so the fresh instance gets exactly that state back
     * and no message is involved: the next one simply runs on the new instance. Agents that are not
     * durable are never recycled, since their state lives only in the instance.
     */
    private void recycleIfDue() {
        InstancePool p = instancePool;
        WasmInstance inst = instance;
        if (p == null || inst == null) {
            return;
        }
        if (inst != countedInstance) {
            countedInstance = inst;
            handledOnInstance = 0;
        }
        handledOnInstance++;
        if (!p.recycleDue(handledOnInstance, System.nanoTime() - madeAt)) {
            return;
        }
        closeInstance(false);
        recycled.increment();
        try {
            instance = instantiate(code);
        } catch (DeployException e) {
            fail("recycling the instance failed: " + e.getMessage());
        }
    }

    /**
     * The id of the next message this agent sends or replies with: derived from the message being
     * handled when the node keeps an outbox (so a replay after a crash repeats it), fresh otherwise.
     */
    private String nextOutputId() {
        String parent = handlingId;
        if (ctx.ledger() != null && parent != null) {
            return Ledger.derivedId(name, parent, outputIndex++);
        }
        return ctx.router().newMessageId();
    }

    private void invoke(Envelope msg) {
        Code c = code;
        try {
            // The agent gets the message without its hop count: version 1 of the ABI has no such
            // field, and the host, not the agent, decides the count of whatever the agent sends.
            // Likewise the traceparent: the host carries the trace on the agent's behalf.
            toGuest.reset();
            c.codec().encode(msg.hops() == 0 && msg.traceparent() == null ? msg
                    : msg.toBuilder().hops(0).traceparent(null).build(), toGuest);
        } catch (SerializationException e) {
            ctx.deadLetters().deadLetter(msg, "cannot encode for the agent: " + e.getMessage());
            failureReply(msg, "cannot encode for the agent: " + e.getMessage());
            return;
        }
        int inLength = toGuest.length();
        if (inLength > ctx.maxMessageBytes()) {
            String reason = "message of " + inLength + " bytes exceeds messaging.max_message_size ("
                    + ctx.maxMessageBytes() + " bytes)";
            ctx.deadLetters().deadLetter(msg, reason);
            failureReply(msg, reason);
            return;
        }
        if (instance == null) {
            try {
                instance = instantiate(c);
            } catch (DeployException e) {
                fail("restart failed: " + e.getMessage());
                ctx.deadLetters().deadLetter(msg, "agent '" + name + "' failed: " + e.getMessage());
                failureReply(msg, "agent '" + name + "' failed: " + e.getMessage());
                return;
            }
        }
        WasmInstance inst = instance;
        if (c.extism() != null) {
            invokeExtism(msg, inst, c);
            return;
        }
        try {
            // ABI 2: the reply is read before anything is freed, and only the input buffer is freed,
            // so a reply in the input buffer or in static data is safe with a real allocator.
            boolean v2 = abiOf(inst) >= 2;
            int ptr = (int) inst.call(AbiContract.ALLOC, inLength)[0];
            try {
                inst.memory().write(Integer.toUnsignedLong(ptr), toGuest.array(), 0, inLength);
            } catch (MemoryAccessException e) {
                throw new AgentFault("alloc returned an out-of-bounds pointer: " + e.getMessage());
            }
            long r = inst.call(AbiContract.HANDLE_MESSAGE, ptr, inLength)[0];
            countHandled(inst);
            boolean dealloc = hasDealloc(inst);
            if (dealloc && (!v2 || r <= 0)) {
                inst.call(AbiContract.DEALLOC, ptr, inLength);
            }
            if (r < 0) {
                errors.increment();
                failureReply(msg, "agent returned error code " + r);
                return;
            }
            if (r == 0) {
                return;
            }
            long rptr = r >>> 32;
            long rlen = r & 0xFFFF_FFFFL;
            if (rlen > ctx.maxMessageBytes()) {
                throw new AgentFault("reply of " + rlen + " bytes exceeds messaging.max_message_size");
            }
            byte[] out = fromGuest((int) rlen);
            try {
                inst.memory().read(rptr, out, 0, (int) rlen);
            } catch (MemoryAccessException e) {
                throw new AgentFault("reply pointer out of bounds: " + e.getMessage());
            }
            if (dealloc) {
                if (v2) {
                    inst.call(AbiContract.DEALLOC, ptr, inLength);
                } else {
                    inst.call(AbiContract.DEALLOC, (int) rptr, (int) rlen);
                }
            }
            if (TIMER_SENDER.equals(msg.sender())) {
                // Nobody waits on the other end of a timer: a reply to one goes nowhere.
                return;
            }
            Envelope reply;
            int nodeMade;
            try {
                // The ABI lets a reply leave out the performative: it is an inform then.
                // Completed as it is decoded: the codec builds the reply once, with the host's fields.
                ReplyCompletion completion = replyCompletion(msg);
                reply = c.codec().decode(out, 0, (int) rlen, Performative.INFORM, completion);
                nodeMade = nodeMade(completion);
            } catch (SerializationException | InvalidEnvelopeException e) {
                errors.increment();
                agentLog.log(System.Logger.Level.WARNING, "malformed reply: " + e.getMessage());
                failureReply(msg, "malformed reply: " + e.getMessage());
                return;
            }
            ctx.router().routeOwned(reply, nodeMade);
        } catch (AgentFault e) {
            fault(msg, e.getMessage());
        } catch (RuntimeException e) {
            fault(msg, faultReason(e));
        } finally {
            if (c.wasi()) {
                flushWasi();
            }
        }
    }

    /**
     * Runs one message through an Extism plugin: its content is the input (a string as itself, any
     * other value as JSON text), the output is the reply's content (JSON when it parses, a string
     * otherwise), an error or a non-zero return is a failure reply with the error's text.
     */
    private void invokeExtism(Envelope msg, WasmInstance inst, Code c) {
        Object content = msg.content();
        byte[] input;
        try {
            input = content instanceof String str ? str.getBytes(StandardCharsets.UTF_8)
                    : content == null ? new byte[0] : c.codec().encodeValue(content);
        } catch (SerializationException e) {
            ctx.deadLetters().deadLetter(msg, "cannot encode the content for the plugin: " + e.getMessage());
            failureReply(msg, "cannot encode the content for the plugin: " + e.getMessage());
            return;
        }
        // The input is this call's own array (fresh from the encoder or getBytes): no defensive copy.
        extism.beginOwned(input);
        try {
            long rc = inst.call(c.extism().function())[0];
            ExtismKernel.Outcome outcome = extism.end();
            countHandled(inst);
            if (outcome.error() != null || (int) rc != 0) {
                errors.increment();
                String why = outcome.error() != null ? outcome.error()
                        : "plugin function '" + c.extism().function() + "' returned " + (int) rc;
                agentLog.log(System.Logger.Level.WARNING, "plugin error: " + why);
                failureReply(msg, why);
                return;
            }
            if (TIMER_SENDER.equals(msg.sender()) || msg.sender() == null || msg.replyWith() == null) {
                // Only a message that asks for a reply (reply_with) gets the output back: two plugins
                // informing each other would otherwise answer each other until max_hops.
                return;
            }
            byte[] out = outcome.output() == null ? new byte[0] : outcome.output();
            if (out.length > ctx.maxMessageBytes()) {
                throw new AgentFault("output of " + out.length + " bytes exceeds messaging.max_message_size");
            }
            Object replyContent;
            if (out.length == 0) {
                replyContent = "";
            } else if (!c.codec().mayStartValue(out, 0, out.length)) {
                // Output the codec says cannot start a value (plain text, for JSON) is the string it
                // would become after a failed parse; the parse's exception cost more than the call.
                replyContent = new String(out, StandardCharsets.UTF_8);
            } else {
                try {
                    replyContent = c.codec().decodeValue(out);
                } catch (SerializationException e) {
                    replyContent = new String(out, StandardCharsets.UTF_8);
                }
            }
            Envelope fromPlugin = Envelope.builder(Performative.INFORM).protocol(msg.protocol()).content(replyContent).build();
            ReplyCompletion completion = replyCompletion(msg);
            Envelope reply = EnvelopeFields.complete(fromPlugin, completion);
            ctx.router().routeOwned(reply, nodeMade(completion));
        } catch (AgentFault e) {
            fault(msg, e.getMessage());
        } catch (RuntimeException e) {
            fault(msg, faultReason(e));
        } finally {
            extism.end();
            if (c.wasi()) {
                flushWasi();
            }
        }
    }

    /**
     * The buffer for bytes coming out of the guest, with room for {@code length} of them. One that
     * a large message made grow beyond 64 KiB is not kept for the next: memory per agent stays small.
     */
    private byte[] fromGuest(int length) {
        byte[] b = fromGuest;
        if (b.length < length || b.length > 64 * 1024) {
            b = new byte[Math.max(length, 256)];
            fromGuest = b;
        }
        return b;
    }

    /** Books a call that returned: the state may have changed, and what it used goes into the counters. */
    private void countHandled(WasmInstance inst) {
        touched = true;
        handled.increment();
        long used = inst.fuelUsed();
        callFuel = used;
        if (used >= 0) {
            fuelLast = used;
            fuelMax = Math.max(fuelMax, used);
            fuelTotal.add(used);
        }
        memoryBytes = inst.memory().size();
    }

    private static boolean hasDealloc(WasmInstance inst) {
        return inst.exportedFunction(AbiContract.DEALLOC).isPresent();
    }

    /** A fault the host detects itself (as opposed to one the engine reports). */
    private static final class AgentFault extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AgentFault(String message) {
            super(message, null, false, false);
        }
    }

    static String faultReason(Throwable e) {
        if (e instanceof WasmTimeoutException) {
            return "timeout: " + e.getMessage();
        }
        if (e instanceof WasmFuelExhaustedException) {
            return "fuel exhausted: " + e.getMessage();
        }
        if (e instanceof WasmTrapException) {
            Throwable cause = e.getCause();
            if (cause instanceof MemoryAccessException) {
                return "host call with an out-of-bounds pointer: " + cause.getMessage();
            }
            if (cause instanceof ExtismKernel.KernelFault) {
                return "Extism kernel: " + cause.getMessage();
            }
            return "trap: " + e.getMessage();
        }
        if (e instanceof MemoryAccessException) {
            return "out-of-bounds memory access: " + e.getMessage();
        }
        return "engine error: " + e;
    }

    private void fault(Envelope msg, String reason) {
        if (state == AgentState.STOPPED) {
            // The stop's deadline cut this call short: that is the stop's doing, not the agent's fault.
            // Stopping for a restart with an outbox, the message is handled again after the start.
            touched = false;
            if (keepForRestart && ctx.ledger() != null) {
                leaveCurrent = true;
            } else {
                String why = stopReason + "; interrupted while being handled";
                ctx.deadLetters().deadLetter(msg, why);
                if (!keepForRestart) {
                    failureReply(msg, why);
                }
            }
            closeInstance(false);
            return;
        }
        touched = false;
        faults.increment();
        lastFault = reason;
        LOG.log(System.Logger.Level.WARNING, "[{0}] fault: {1}; message {2} dead-lettered, instance replaced",
                name, reason, msg.messageId(),
                dev.caxton.runtime.logging.LogFields.message(name, msg.messageId(), msg.conversationId()));
        closeInstance(false);
        ctx.deadLetters().deadLetter(msg, reason, dev.caxton.runtime.metrics.DeadLetterReason.FAULT);
        failureReply(msg, reason);
        ctx.events().faulted(this, reason);
        AgentFaultEvent.emit(name, msg.messageId(), reason);
        long now = System.nanoTime();
        recentFaults.addLast(now);
        long window = ctx.failureWindow().toNanos();
        while (!recentFaults.isEmpty() && now - recentFaults.peekFirst() > window) {
            recentFaults.pollFirst();
        }
        if (recentFaults.size() >= ctx.maxFailures()) {
            fail(recentFaults.size() + " faults within " + ctx.failureWindow().toSeconds() + "s, last: " + reason);
            return;
        }
        try {
            instance = instantiate(code);
        } catch (DeployException e) {
            fail("restart failed: " + e.getMessage());
        }
    }

    private void fail(String why) {
        lastFault = why;
        LOG.log(System.Logger.Level.ERROR, "[{0}] marked failed: {1}", name, why,
                dev.caxton.runtime.logging.LogFields.agent(name));
        closeInstance(false);
        setState(AgentState.FAILED);
        for (Mailbox.Delivery left : mailbox.drain()) {
            String reason = "agent '" + name + "' failed (" + why + ")";
            ctx.deadLetters().deadLetter(left.envelope(), reason);
            failureReply(left.envelope(), reason);
            complete(left.envelope());
        }
    }

    private void closeInstance(boolean callShutdown) {
        WasmInstance inst = instance;
        instance = null;
        if (inst == null) {
            return;
        }
        if (callShutdown && extism == null && inst.exportedFunction(AbiContract.SHUTDOWN).isPresent()) {
            try {
                inst.call(AbiContract.SHUTDOWN);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "[{0}] shutdown failed: {1}", name, faultReason(e));
            }
        }
        try {
            inst.close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "[{0}] closing the instance failed: {1}", name, e);
        }
    }

    // ---------------------------------------------------------------- replies

    /**
     * What completes a reply to {@code original} from this agent, fresh ids from its outbox: the
     * agent's one completion, reset (a message is handled at a time).
     */
    ReplyCompletion replyCompletion(Envelope original) {
        return replyCompletion.reset(original);
    }

    /** @return whether the message being handled was checked by this node's router (its owner's thread only) */
    boolean handlingChecked() {
        return handlingChecked;
    }

    /**
     * Which fields of a completed reply the router need not check again: the sender (this agent's
     * name, checked at deploy) always, and the message id when it came fresh from the router (an id
     * derived for the outbox embeds the handled message's id and is checked). Everything the guest
     * wrote is checked as before.
     */
    int nodeMade(ReplyCompletion completion) {
        boolean freshId = completion.freshId() && (ctx.ledger() == null || handlingId == null);
        int made = Router.NODE_MADE_SENDER | (freshId ? Router.NODE_MADE_MESSAGE_ID : 0);
        // A message run inline was checked by the router on this thread just before, and one the
        // router queued was checked on its way in; one from another node or the outbox was not.
        // What the reply copied from a checked message is known good. Whatever the guest wrote is
        // checked still.
        return handlingChecked ? made | completion.fromOriginal() : made;
    }

    private void failureReply(Envelope original, String reason) {
        if (original.replyWith() == null || original.sender() == null || original.sender().equals(name)) {
            return;
        }
        Envelope failure = Envelope.builder(Performative.FAILURE).sender(name).receiver(original.sender())
                .conversationId(original.conversationId()).inReplyTo(original.replyWith())
                .protocol(original.protocol()).messageId(nextOutputId()).hops(original.nextHop())
                .traceparent(dev.caxton.runtime.trace.Traceparent.child(original.traceparent()))
                .content(Map.of("reason", reason, "message_id", String.valueOf(original.messageId())))
                .build();
        ctx.router().routeOwned(failure);
    }

    // ---------------------------------------------------------------- host functions

    private List<HostFunction> hostFunctions(Code c) {
        List<HostFunction> fns = new ArrayList<>(4);
        Map<String, HostFunction.Body> bodies = hostBodies();
        AbiContract.HOST_FUNCTIONS.forEach((fn, type) -> {
            if (c.permissions() == null || c.permissions().contains(fn)) {
                fns.add(new HostFunction(AbiContract.HOST_MODULE, fn, type, bodies.get(fn)));
            }
        });
        return fns;
    }

    /** This agent's implementation of each of the ABI's host functions, by name. */
    private Map<String, HostFunction.Body> hostBodies() {
        return Map.of(
                AbiContract.SEND_MESSAGE, (mem, args) -> new long[] {sendMessage(mem, args[0], args[1])},
                AbiContract.LOG, (mem, args) -> {
                    log((int) args[0], mem, args[1], args[2]);
                    return new long[0];
                },
                AbiContract.NOW_MILLIS, (mem, args) -> new long[] {System.currentTimeMillis()},
                AbiContract.REGISTER_CAPABILITY, (mem, args) -> new long[] {registerCapability(mem, args[0], args[1])},
                AbiContract.SET_TIMER, (mem, args) -> new long[] {setTimer(mem, args[0], args[1], args[2])},
                AbiContract.CANCEL_TIMER, (mem, args) -> new long[] {cancelTimer(args[0])});
    }

    /**
     * An Extism plugin's imports: the kernel, and Caxton's own host functions (those it is granted)
     * under {@code extism:host/user}, reading their text from kernel blocks.
     */
    private List<HostFunction> extismFunctions(Code c) {
        List<HostFunction> fns = new ArrayList<>(extism.hostFunctions());
        Map<String, HostFunction.Body> bodies = Map.of(
                AbiContract.SEND_MESSAGE, (mem, args) -> {
                    GuestMemory block = extism.blockView(args[0], AbiContract.SEND_MESSAGE);
                    return new long[] {sendMessage(block, 0, block.size())};
                },
                AbiContract.REGISTER_CAPABILITY, (mem, args) -> {
                    GuestMemory block = extism.blockView(args[0], AbiContract.REGISTER_CAPABILITY);
                    return new long[] {registerCapability(block, 0, block.size())};
                },
                AbiContract.NOW_MILLIS, (mem, args) -> new long[] {System.currentTimeMillis()},
                AbiContract.SET_TIMER, (mem, args) -> {
                    GuestMemory tag = args[1] == 0 ? EMPTY : extism.blockView(args[1], AbiContract.SET_TIMER);
                    return new long[] {setTimer(tag, args[0], 0, tag.size())};
                },
                AbiContract.CANCEL_TIMER, (mem, args) -> new long[] {cancelTimer(args[0])});
        ExtismKernel.USER_FUNCTIONS.forEach((fn, type) -> {
            if (c.permissions() == null || c.permissions().contains(fn)) {
                fns.add(new HostFunction(ExtismKernel.USER_MODULE, fn, type, bodies.get(fn)));
            }
        });
        return fns;
    }

    /** A memory of no bytes: a timer's tag when the plugin gives none. */
    private static final GuestMemory EMPTY = new GuestMemory() {
        @Override
        public long size() {
            return 0;
        }

        @Override
        public byte[] read(long address, int length) {
            checkBounds(address, length);
            return new byte[0];
        }

        @Override
        public void write(long address, byte[] bytes) {
            checkBounds(address, bytes.length);
        }
    };

    private int sendMessage(GuestMemory mem, long ptr, long len) {
        long p = ptr & 0xFFFF_FFFFL;
        long n = len & 0xFFFF_FFFFL;
        if (n > ctx.maxMessageBytes()) {
            agentLog.log(System.Logger.Level.WARNING, "send_message refused: " + n
                    + " bytes exceeds messaging.max_message_size");
            return SendStatus.TOO_LARGE.abiCode();
        }
        byte[] bytes = fromGuest((int) n);
        mem.read(p, bytes, 0, (int) n);
        Envelope e;
        try {
            e = code.codec().decode(bytes, 0, (int) n, null);
        } catch (SerializationException ex) {
            agentLog.log(System.Logger.Level.WARNING, "send_message refused, malformed envelope: " + ex.getMessage());
            return SendStatus.MALFORMED.abiCode();
        }
        if (e.sender() != null && !e.sender().equals(name)) {
            agentLog.log(System.Logger.Level.WARNING, "send_message refused: may not send as '" + e.sender() + "'");
            return SendStatus.NOT_PERMITTED.abiCode();
        }
        int parentHops = handlingHops;
        // A hops field the agent wrote is ignored: the count follows the message being handled
        // (0 for a message the agent starts on its own, from init).
        int hops = parentHops < 0 ? 0 : (parentHops == Integer.MAX_VALUE ? parentHops : parentHops + 1);
        try {
            // Any traceparent the agent wrote is replaced too: the trace follows the message handled.
            Envelope.Builder out = e.toBuilder().sender(name).hops(hops)
                    .traceparent(dev.caxton.runtime.trace.Traceparent.child(handlingTrace));
            if (e.messageId() == null) {
                out.messageId(nextOutputId());
            }
            String conversation = handlingConversation;
            if (e.conversationId() == null && conversation != null && abiVersion >= 2) {
                out.conversationId(conversation);
            }
            ctx.router().route(out.build());
            sent.increment();
            return SendStatus.ACCEPTED.abiCode();
        } catch (RoutingException ex) {
            agentLog.log(System.Logger.Level.WARNING, "send_message refused: " + ex.getMessage());
            return ex.status().abiCode();
        }
    }

    /**
     * {@code set_timer}: after {@code delay} ms the agent gets an {@code inform} from
     * {@link #TIMER_SENDER} with content {@code {"timer": id, "tag": tag}}. Timers live as long as the
     * instance's agent runs on this node: a restart or undeploy drops them.
     *
     * @return the timer's id (at least 1), or -1 for a bad delay or tag, -4 past {@link #MAX_TIMERS}
     */
    private long setTimer(GuestMemory mem, long delay, long ptr, long len) {
        long n = len & 0xFFFF_FFFFL;
        if (delay < 0 || delay > MAX_TIMER_DELAY_MS || n > MAX_TIMER_TAG) {
            agentLog.log(System.Logger.Level.WARNING, "set_timer refused: delay " + delay + " ms must be 0 to "
                    + MAX_TIMER_DELAY_MS + " and the tag at most " + MAX_TIMER_TAG + " bytes (got " + n + ")");
            return SendStatus.MALFORMED.abiCode();
        }
        String tag = new String(mem.read(ptr & 0xFFFF_FFFFL, (int) n), StandardCharsets.UTF_8);
        if (timers.size() >= MAX_TIMERS) {
            agentLog.log(System.Logger.Level.WARNING, "set_timer refused: " + MAX_TIMERS + " timers are pending already");
            return SendStatus.NOT_PERMITTED.abiCode();
        }
        long id = timerIds.incrementAndGet();
        // Under the lock the firing takes too: a zero delay cannot fire before the timer is registered.
        synchronized (timers) {
            timers.put(id, TIMERS.schedule(() -> fireTimer(id, tag), delay, TimeUnit.MILLISECONDS));
        }
        return id;
    }

    private void fireTimer(long id, String tag) {
        java.util.concurrent.ScheduledFuture<?> f;
        synchronized (timers) {
            f = timers.remove(id);
        }
        if (f == null) {
            return;
        }
        ctx.router().routeOwned(Envelope.builder(Performative.INFORM).sender(TIMER_SENDER).receiver(name)
                .messageId(ctx.router().newMessageId()).protocol("caxton-timer")
                .content(Map.of("timer", id, "tag", tag)).build());
    }

    /** {@code cancel_timer}: 0 when the timer was pending and will not fire, -2 when unknown or fired. */
    private int cancelTimer(long id) {
        java.util.concurrent.ScheduledFuture<?> f;
        synchronized (timers) {
            f = timers.remove(id);
        }
        if (f == null) {
            return SendStatus.UNKNOWN_RECEIVER.abiCode();
        }
        f.cancel(false);
        return 0;
    }

    private void log(int level, GuestMemory mem, long ptr, long len) {
        long n = Math.min(len & 0xFFFF_FFFFL, MAX_LOG_LINE);
        byte[] bytes = mem.read(ptr & 0xFFFF_FFFFL, (int) n);
        System.Logger.Level l = switch (level) {
            case 0 -> System.Logger.Level.TRACE;
            case 1 -> System.Logger.Level.DEBUG;
            case 3 -> System.Logger.Level.WARNING;
            case 4 -> System.Logger.Level.ERROR;
            default -> System.Logger.Level.INFO;
        };
        agentLog.log(l, new String(bytes, StandardCharsets.UTF_8));
    }

    private int registerCapability(GuestMemory mem, long ptr, long len) {
        long n = len & 0xFFFF_FFFFL;
        if (n > 1024) {
            agentLog.log(System.Logger.Level.WARNING, "register_capability refused: a name of " + n + " bytes");
            return CAPABILITY_MALFORMED;
        }
        String cap = new String(mem.read(ptr & 0xFFFF_FFFFL, (int) n), StandardCharsets.UTF_8);
        String problem = CapabilityDirectory.problemWith(cap);
        if (problem != null) {
            agentLog.log(System.Logger.Level.WARNING, "register_capability refused: " + problem);
            return CAPABILITY_MALFORMED;
        }
        Set<String> pending = pendingCapabilities;
        Set<String> into = pending != null ? pending : registeredCapabilities;
        if (deployedCapabilities.contains(cap) || into.contains(cap)) {
            return 0;
        }
        if (deployedCapabilities.size() + into.size() >= ctx.maxCapabilities()) {
            agentLog.log(System.Logger.Level.WARNING, "register_capability refused: '" + cap + "' would exceed"
                    + " runtime.max_capabilities_per_agent (" + ctx.maxCapabilities() + ")");
            return CAPABILITY_NOT_PERMITTED;
        }
        into.add(cap);
        if (pending == null) {
            ctx.router().directory().register(cap, name);
        }
        return 0;
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Swaps in a new module after the message in flight; queued messages stay queued and run on the
     * new module. A failed agent comes back to running.
     *
     * @param newCode what to run from now on
     * @return completes when the swap is done, exceptionally with {@link DeployException} when the new
     *         module fails to instantiate or init (the old one then keeps running)
     */
    public CompletableFuture<Void> reload(Code newCode) {
        return reload(newCode, false);
    }

    /**
     * Swaps in a new module like {@link #reload(Code)}. A durable agent keeps its state when the
     * module is unchanged; for a changed module it starts from the new module's initial state unless
     * {@code keepState} says the new module reads the old memory layout.
     *
     * @param newCode   what to run from now on
     * @param keepState keep a durable agent's state across a module change
     * @return completes when the swap is done
     */
    public CompletableFuture<Void> reload(Code newCode, boolean keepState) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (state == AgentState.DRAINING || state == AgentState.STOPPED) {
            done.completeExceptionally(new DeployException(DeployException.Kind.CONFLICT,
                    "agent '" + name + "' is " + state.label()));
            return done;
        }
        pendingReload = new PendingReload(newCode, keepState, done);
        wake();
        return done;
    }

    private void applyReload(PendingReload r) {
        pendingReload = null;
        WasmInstance fresh;
        // The new module's init registers into a set of its own; the old registrations stay in the
        // directory until it succeeds, and the set is dropped with a refused reload.
        Set<String> registered = new java.util.LinkedHashSet<>();
        try {
            fresh = instantiate(r.code(), registered);
        } catch (DeployException e) {
            r.done().completeExceptionally(e);
            return;
        }
        List<StorageWrite> stateWrites = List.of();
        if (checkpointer != null) {
            String digest = Ledger.digest(r.code().bytes());
            boolean same = digest.equals(checkpointer.moduleDigest());
            if (same || r.keepState()) {
                try {
                    // The live state is the last checkpoint: the agent is between messages here.
                    restoreState(fresh);
                } catch (RuntimeException e) {
                    fresh.close();
                    r.done().completeExceptionally(new DeployException(DeployException.Kind.INVALID_MODULE,
                            "cannot keep the agent's state in the new module: " + e.getMessage(), e));
                    return;
                }
                stateWrites = same ? List.of() : checkpointer.rebind(digest);
            } else {
                stateWrites = List.of(checkpointer.reset(digest));
            }
        }
        if (!stateWrites.isEmpty()) {
            ctx.ledger().write(stateWrites);
        }
        for (String cap : Set.copyOf(registeredCapabilities)) {
            if (!registered.contains(cap) && !deployedCapabilities.contains(cap)) {
                ctx.router().directory().unregister(cap, name);
            }
        }
        registeredCapabilities.clear();
        commitRegistrations(registered);
        closeInstance(true);
        instance = fresh;
        code = r.code();
        recentFaults.clear();
        fuelLast = -1;
        fuelMax = -1;
        if (state == AgentState.FAILED) {
            lastFault = null;
            setState(AgentState.RUNNING);
        } else {
            ctx.events().stateChanged(this, state);
        }
        r.done().complete(null);
    }

    /**
     * Stops taking messages, processes the queued ones, calls {@code shutdown} and stops.
     *
     * @param timeout how long to let it drain; what is left then is dead-lettered
     * @return completes when stopped
     */
    public CompletableFuture<Void> undeploy(Duration timeout) {
        return undeploy(timeout, null);
    }

    /**
     * Stops like {@link #undeploy(Duration)}, giving the reason recorded on the messages it could not
     * handle in time.
     *
     * @param timeout how long to let it drain; what is left then is dead-lettered
     * @param reason  the dead-letter reason for those messages, or null for the undeploy's
     * @return completes when stopped
     */
    public CompletableFuture<Void> undeploy(Duration timeout, String reason) {
        if (reason != null) {
            stopReason = reason;
        }
        if (state == AgentState.FAILED || state == AgentState.LOADED) {
            state = AgentState.STOPPED;
        } else if (state == AgentState.RUNNING) {
            setState(AgentState.DRAINING);
        }
        mailbox.close();
        wake();
        ctx.router().unregister(name);
        CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (!finished.isDone()) {
                state = AgentState.STOPPED;
                wake();
                if (pooled) {
                    synchronized (turnLock) {
                        Thread w = runningOn;
                        if (w != null) {
                            w.interrupt();
                        }
                    }
                } else {
                    Thread w = worker;
                    if (w != null) {
                        w.interrupt();
                    }
                }
            }
        });
        if (!started) {
            setState(AgentState.STOPPED);
            finished.complete(null);
        }
        return finished;
    }

    /**
     * Stops like {@link #undeploy(Duration, String)} for a node that stops and will start again:
     * with persistence, what is still queued when the time is up stays in the outbox and is
     * delivered after the start instead of being dead-lettered.
     *
     * @param timeout how long to let it drain
     * @param reason  the dead-letter reason without persistence
     * @return completes when stopped
     */
    public CompletableFuture<Void> stopForRestart(Duration timeout, String reason) {
        keepForRestart = true;
        return undeploy(timeout, reason);
    }

    private void setState(AgentState s) {
        state = s;
        ctx.events().stateChanged(this, s);
    }

    /** @return the agent's name */
    public String name() {
        return name;
    }

    /** @return the agent's stable id */
    public String id() {
        return id;
    }

    /** @return its current state */
    public AgentState state() {
        return state;
    }

    /** @return what it runs */
    public Code code() {
        return code;
    }

    /** @return when it was deployed */
    public Instant deployedAt() {
        return deployedAt;
    }

    /** @return the capabilities granted at deploy */
    public Set<String> deployedCapabilities() {
        return deployedCapabilities;
    }

    /**
     * A snapshot for the API.
     *
     * @return the snapshot
     */
    public AgentInfo info() {
        return infoSnapshot();
    }

    /** @return the size of the agent's linear memory after its last message, 0 before the first */
    public long memoryBytes() {
        return memoryBytes;
    }

    /** @return messages run on a waiting caller's thread instead of the agent's own since deploy */
    public long inlineHandledCount() {
        return inlineHandled.sum();
    }

    /** @return fuel used by all messages since deploy, 0 when unmetered */
    public long fuelUsedTotal() {
        return fuelTotal.sum();
    }

    /**
     * Adds this agent's mailbox depth per priority class to {@code into}.
     *
     * @param into one slot per priority class
     */
    public void addQueueDepths(long[] into) {
        mailbox.addDepths(into);
    }

    private AgentInfo infoSnapshot() {
        Code c = code;
        return new AgentInfo(name, id, state, ctx.router().directory().capabilitiesOf(name), c.limits(),
                c.codec().name(), c.engine(), handled.sum(), faults.sum(), errors.sum(), sent.sum(), mailbox.size(),
                lastFault, deployedAt, c.bytes().length, fuelLast, fuelMax, checkpointer != null,
                checkpointer == null ? -1 : checkpointer.version(), c.wasi(), c.wasiArgs(),
                // Names and keys only: environment values and plugin config often carry credentials.
                List.copyOf(c.wasiEnv().keySet()), c.extism() == null ? null : c.extism().function(),
                c.extism() == null ? null : List.copyOf(c.extism().config().keySet()),
                c.extism() == null ? null : c.extism().allowedHosts());
    }
}
