package dev.caxton.runtime.agent;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Decides which threads run a node's agents.
 *
 * <p>In {@link Mode#POOL} (the default) agents are tasks on a few worker threads, one per core unless
 * configured: an agent is queued once when it has something to do (a message, a reload, a stop) and
 * is not queued or running already, and the worker that takes it runs up to {@code throughput}
 * messages before putting it back at the end of the queue, so one busy agent cannot keep a worker
 * from the others. While no other agent waits for a worker the turn goes on instead: going round
 * the queue would only hand it back, after waking an idle worker. That batch scales with the agent's CPU share ({@code limits.cpu_share}, 100 by
 * default) in a deficit round robin: a turn earns {@code throughput × share / 100} messages, what is
 * not used while busy carries over, so two busy agents with shares 300 and 100 handle about 3:1. An agent still handles one message at a time: it is in the queue or on a worker,
 * never twice.
 *
 * <p>Guest code that computes for long holds its worker until its time limit. A monitor looks at
 * the workers every half {@code longCallThreshold}; when agents wait while every worker that is not
 * stuck in such a long call is busy or gone, it adds a compensating worker, up to
 * {@code maxCompensation} at once. Those extra workers leave once they find nothing to do for a
 * while. The alternative, moving a long runner to a pool of its own, would need the agent to be
 * recognised as a long runner before its call starts; compensating reacts to the call itself and
 * costs nothing while no call runs long.
 *
 * <p>With {@link Affinity#SPREAD} each pool worker pins itself, as it starts, to one of the CPUs the
 * process may use ({@link WorkerAffinity}); where that cannot be done the scheduler says so once and
 * runs its workers unpinned.
 *
 * <p>{@link Mode#THREAD} and {@link Mode#VIRTUAL} keep one thread per agent (platform or virtual), as
 * nodes did before the pool, for comparison.
 */
public final class AgentScheduler implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("caxton.scheduler");
    /** The prefix of every pool worker's name. */
    public static final String WORKER_PREFIX = "caxton-agent-worker-";
    // How long a compensating worker waits for work before it leaves.
    private static final long EXTRA_KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(1);
    // How long the monitor keeps ticking after the pool went quiet before it parks for good.
    private static final int QUIET_TICKS_BEFORE_PARKING = 20;

    /** How agents get threads. */
    public enum Mode {
        /** Agents are tasks on a small pool of workers. */
        POOL,
        /** One platform thread per agent. */
        THREAD,
        /** One virtual thread per agent. */
        VIRTUAL;

        /**
         * Reads a mode as written in the configuration.
         *
         * @param text {@code pool}, {@code thread} or {@code virtual}
         * @return the mode
         * @throws IllegalArgumentException for anything else
         */
        public static Mode parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "pool" -> POOL;
                case "thread" -> THREAD;
                case "virtual" -> VIRTUAL;
                default -> throw new IllegalArgumentException("runtime.scheduler.mode must be pool, thread or virtual, not '"
                        + text + "'");
            };
        }
    }

    /** Whether pool workers are pinned to CPUs ({@code runtime.scheduler.affinity}). */
    public enum Affinity {
        /** Workers run wherever the OS puts them. */
        NONE,
        /** Worker i is pinned to the i-th CPU the process may use, modulo their count (Linux only). */
        SPREAD;

        /**
         * Reads an affinity as written in the configuration.
         *
         * @param text {@code none} or {@code spread}
         * @return the affinity
         * @throws IllegalArgumentException for anything else
         */
        public static Affinity parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "none" -> NONE;
                case "spread" -> SPREAD;
                default -> throw new IllegalArgumentException("runtime.scheduler.affinity must be none or spread, not '"
                        + text + "'");
            };
        }
    }

    /**
     * The scheduler's settings.
     *
     * @param mode              how agents get threads
     * @param workers           pool workers; 0 for one per available core
     * @param throughput        messages an agent handles before its worker moves on to another agent
     * @param longCallThreshold how long one message may hold a worker before the pool compensates
     * @param maxCompensation   the most compensating workers at once; 0 never compensates
     * @param affinity          whether pool workers are pinned to CPUs
     */
    public record Settings(Mode mode, int workers, int throughput, Duration longCallThreshold, int maxCompensation,
                           Affinity affinity) {

        /** The defaults of the configuration. */
        public static final Settings DEFAULT = new Settings(Mode.POOL, 0, 32, Duration.ofMillis(100), 64);

        /**
         * Settings with unpinned workers.
         *
         * @param mode              how agents get threads
         * @param workers           pool workers; 0 for one per available core
         * @param throughput        messages an agent handles before its worker moves on to another agent
         * @param longCallThreshold how long one message may hold a worker before the pool compensates
         * @param maxCompensation   the most compensating workers at once; 0 never compensates
         */
        public Settings(Mode mode, int workers, int throughput, Duration longCallThreshold, int maxCompensation) {
            this(mode, workers, throughput, longCallThreshold, maxCompensation, Affinity.NONE);
        }

        /**
         * Checks the ranges.
         *
         * @throws IllegalArgumentException for a value out of range
         */
        public Settings {
            if (workers < 0 || throughput < 1 || maxCompensation < 0 || longCallThreshold.isNegative()
                    || longCallThreshold.isZero()) {
                throw new IllegalArgumentException("scheduler settings out of range: workers " + workers
                        + ", throughput " + throughput + ", long call threshold " + longCallThreshold
                        + ", compensation " + maxCompensation);
            }
            affinity = affinity == null ? Affinity.NONE : affinity;
        }

        /** @return the pool's worker count, with 0 resolved to the available cores */
        public int resolvedWorkers() {
            return workers == 0 ? Runtime.getRuntime().availableProcessors() : workers;
        }
    }

    /** Something a pool worker runs: one agent's turn. */
    interface Task {
        /**
         * Runs one turn on the given worker.
         *
         * @param worker the worker, to mark when each message starts and ends
         */
        void runTurn(Worker worker);
    }

    private static volatile AgentScheduler shared;

    private final Settings settings;
    private final int coreWorkers;
    private final long thresholdNanos;
    private final LinkedBlockingQueue<Task> runnable = new LinkedBlockingQueue<>();
    private final Worker[] slots;
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicInteger ids = new AtomicInteger();
    private final LongAdder compensations = new LongAdder();
    private final LongAdder turnsQueued = new LongAdder();
    private final Thread monitor;
    private volatile boolean monitorParked;
    private volatile boolean closed;
    // The CPUs workers are spread over (affinity spread), read once from the process's mask; empty
    // when workers stay unpinned.
    private final List<Integer> cpus;
    private final AtomicBoolean pinningReported = new AtomicBoolean();

    /**
     * Creates a scheduler; in pool mode its workers start at once.
     *
     * @param settings its settings
     */
    public AgentScheduler(Settings settings) {
        this.settings = settings;
        this.coreWorkers = settings.resolvedWorkers();
        this.thresholdNanos = settings.longCallThreshold().toNanos();
        this.cpus = settings.mode() == Mode.POOL && settings.affinity() == Affinity.SPREAD ? spreadCpus() : List.of();
        if (settings.mode() != Mode.POOL) {
            slots = new Worker[0];
            monitor = null;
            return;
        }
        slots = new Worker[coreWorkers + settings.maxCompensation()];
        for (int i = 0; i < coreWorkers; i++) {
            startWorker(i, true);
        }
        monitor = Thread.ofPlatform().daemon().name("caxton-agent-scheduler").start(this::monitor);
    }

    /**
     * The scheduler of agents made with a context that names none (tools and tests): a pool with the
     * default settings, shared and never closed.
     *
     * @return the shared scheduler
     */
    public static AgentScheduler shared() {
        AgentScheduler s = shared;
        if (s == null) {
            synchronized (AgentScheduler.class) {
                s = shared;
                if (s == null) {
                    s = new AgentScheduler(Settings.DEFAULT);
                    shared = s;
                }
            }
        }
        return s;
    }

    /** @return its settings */
    public Settings settings() {
        return settings;
    }

    /** @return whether agents run as tasks on the pool (else on threads of their own) */
    public boolean pooled() {
        return settings.mode() == Mode.POOL;
    }

    /** What one message costs against an agent's credit: a share of 100 earns throughput messages a turn. */
    static final long MESSAGE_COST = 100;

    /**
     * The credit an agent earns per turn: {@code throughput} messages at the usual share of 100,
     * proportionally more or less at other shares.
     *
     * @param cpuShare the agent's share
     * @return the credit, in hundredths of a message
     */
    long creditPerTurn(int cpuShare) {
        return (long) settings.throughput() * cpuShare;
    }

    /**
     * Starts the own thread of an agent in thread or virtual mode.
     *
     * @param name the agent's name
     * @param body what the thread runs
     * @return the thread
     */
    Thread startAgentThread(String name, Runnable body) {
        // A platform thread by default: guest code that computes for seconds (up to its time limit)
        // would pin one of the few carrier threads of a virtual one and stall every other agent.
        Thread.Builder b = settings.mode() == Mode.VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
        return b.name("agent-" + name).start(body);
    }

    /**
     * Queues an agent's turn; the caller makes sure it is queued at most once at a time.
     *
     * @param task the turn
     */
    void submit(Task task) {
        turnsQueued.increment();
        runnable.add(task);
        if (monitorParked) {
            monitorParked = false;
            LockSupport.unpark(monitor);
        }
    }

    /**
     * Whether some agent's turn waits for a worker. A turn that used up its credit gives its worker
     * up only then: with nobody waiting, going round the queue would hand the same turn back, after
     * waking an idle worker that finds nothing or takes the agent to another core.
     *
     * @return true when a turn is queued
     */
    boolean othersWaiting() {
        return !runnable.isEmpty();
    }

    /** @return agents' turns queued since the scheduler started (for tests) */
    long turnsQueued() {
        return turnsQueued.sum();
    }

    /** @return pool workers running an agent's turn now */
    public int busyWorkers() {
        return busy.get();
    }

    /** @return agents waiting for a worker */
    public int runnableAgents() {
        return runnable.size();
    }

    /** @return pool workers alive, compensating ones included */
    public int liveWorkers() {
        return live.get();
    }

    /** @return compensating workers started since the scheduler started */
    public long compensationCount() {
        return compensations.sum();
    }

    /**
     * The most threads this scheduler runs at once in pool mode: the workers, every compensating
     * worker and the monitor.
     *
     * @return the bound
     */
    public int maxThreads() {
        return pooled() ? coreWorkers + settings.maxCompensation() + 1 : Integer.MAX_VALUE;
    }

    /** Stops the workers; agents still queued are not run any more (the node stopped them before). */
    @Override
    public void close() {
        closed = true;
        for (Worker w : slots) {
            if (w != null) {
                w.thread.interrupt();
            }
        }
        if (monitor != null) {
            LockSupport.unpark(monitor);
        }
    }

    // ---------------------------------------------------------------- workers

    /** One pool worker: its thread and when the message it runs began. */
    static final class Worker {
        private final Thread thread;
        private final boolean core;
        // 0 while no message runs; otherwise System.nanoTime() when it started (never 0 in practice,
        // and a message wrongly seen as idle is only compensated one tick later).
        private volatile long messageSince;

        private Worker(Thread thread, boolean core) {
            this.thread = thread;
            this.core = core;
        }

        /**
         * Notes that a message starts on this worker.
         *
         * @param now System.nanoTime() as the caller read it
         */
        void messageStarted(long now) {
            messageSince = now == 0 ? 1 : now;
        }

        /** Notes that the message ended. */
        void messageEnded() {
            messageSince = 0;
        }
    }

    private synchronized boolean startWorker(int slot, boolean core) {
        if (closed) {
            return false;
        }
        Worker[] holder = new Worker[1];
        Thread t = Thread.ofPlatform().daemon().name(WORKER_PREFIX + ids.incrementAndGet()).unstarted(() -> work(holder[0], slot));
        Worker w = new Worker(t, core);
        holder[0] = w;
        slots[slot] = w;
        live.incrementAndGet();
        t.start();
        return true;
    }

    private List<Integer> spreadCpus() {
        try {
            return List.copyOf(WorkerAffinity.allowedCpus());
        } catch (IllegalStateException e) {
            reportUnpinned(e.getMessage());
            return List.of();
        }
    }

    // Once per scheduler: a node whose workers cannot be pinned says so and runs them unpinned.
    private void reportUnpinned(String why) {
        if (pinningReported.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "runtime.scheduler.affinity is spread but workers run unpinned: {0}", why);
        }
    }

    /** @return the CPU each worker slot is pinned to, in slot order, or empty when workers are not pinned */
    List<Integer> workerCpus() {
        return cpus;
    }

    private void work(Worker self, int slot) {
        if (!cpus.isEmpty()) {
            // sched_setaffinity with pid 0 pins the calling thread only, so each worker pins itself.
            String failed = WorkerAffinity.pinCurrentThread(cpus.get(slot % cpus.size()));
            if (failed != null) {
                reportUnpinned(failed);
            }
        }
        try {
            while (!closed) {
                Task t;
                try {
                    t = self.core ? runnable.take() : runnable.poll(EXTRA_KEEP_ALIVE_NANOS, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    // Only close interrupts a worker that waits for work; an agent's stop interrupts a
                    // worker only while it runs that agent's turn.
                    continue;
                }
                if (t == null) {
                    return;
                }
                busy.incrementAndGet();
                try {
                    t.runTurn(self);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "an agent's turn failed unexpectedly", e);
                } finally {
                    self.messageSince = 0;
                    busy.decrementAndGet();
                    // What one agent's stop left on this thread must not reach the next agent's call.
                    Thread.interrupted();
                }
            }
        } finally {
            synchronized (this) {
                if (slots[slot] == self) {
                    slots[slot] = null;
                }
            }
            live.decrementAndGet();
        }
    }

    private void monitor() {
        long tick = Math.clamp(thresholdNanos / 2, TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(1));
        int quiet = 0;
        while (!closed) {
            if (quiet >= QUIET_TICKS_BEFORE_PARKING) {
                // Nothing ran for a while: sleep until an agent is queued (submit wakes us), so an idle
                // node has no thread waking up for the scheduler.
                monitorParked = true;
                if (runnable.isEmpty() && busy.get() == 0) {
                    LockSupport.park(this);
                }
                monitorParked = false;
                quiet = 0;
            } else {
                LockSupport.parkNanos(this, tick);
            }
            if (closed) {
                return;
            }
            quiet = busy.get() == 0 && runnable.isEmpty() ? quiet + 1 : 0;
            compensate();
        }
    }

    /** Adds a worker when agents wait and every worker that is not stuck in a long call is gone. */
    private void compensate() {
        if (runnable.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        int stuck = 0;
        int free = -1;
        synchronized (this) {
            for (int i = 0; i < slots.length; i++) {
                Worker w = slots[i];
                if (w == null) {
                    if (free < 0 && i >= coreWorkers) {
                        free = i;
                    }
                    continue;
                }
                long since = w.messageSince;
                if (since != 0 && now - since > thresholdNanos) {
                    stuck++;
                }
            }
        }
        if (live.get() - stuck >= coreWorkers || free < 0) {
            return;
        }
        // Counted before the worker starts: it may take a waiting agent and finish its message before
        // this thread runs again, and whoever saw that message handled must see the compensation too.
        compensations.increment();
        if (!startWorker(free, false)) {
            compensations.decrement();
        } else {
            LOG.log(System.Logger.Level.DEBUG, "{0} workers run long calls and agents wait: added a worker ({1} live)",
                    stuck, live.get());
        }
    }
}
