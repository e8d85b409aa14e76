package dev.caxton.runtime.agent;

import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * Instances made ahead of need, so that a deploy or a restart after a fault skips instantiation
 * (linking, allocating and filling linear memory), and the bounds after which a durable agent's
 * instance is replaced by a fresh one ({@code runtime.instance_pool.*}).
 *
 * <p>Instances are kept per <em>shape</em>: the compiled module, the instance limits and the set of
 * host functions granted. Two agents of one shape get instances that cannot be told apart, because
 * instantiating a module with no start function runs no guest code: it only links the imports and
 * lays out memory, tables and globals from the module's own data. Host functions cannot be bound to
 * an agent that does not exist yet, so a pooled instance's imports call through a {@link Binding}
 * that the taking agent points at its own functions; until then a call fails, and none can happen
 * because no guest code has run.
 *
 * <p>What is never pooled, because its instantiation depends on the agent or runs guest code: a
 * module with a start function (the start function runs at instantiation, would run before the agent
 * exists and could call host functions or read the clock); WASI agents (their WASI sandbox holds
 * the agent's arguments, environment and log streams); Extism plugins (their kernel is the agent's).
 *
 * <p>Each idle instance is handed out once: {@link #take} removes it under the pool's lock. The pool
 * is filled on one background thread, never on a deploy's or a message's path. Memory: at most
 * {@code size} idle instances per shape, for at most {@code shapes} shapes (the least recently
 * used shape is dropped first); each holds its module's initial memory, not its limit. With a
 * {@link MemoryBudget} {@linkplain #attach attached}, each idle instance is booked there before it
 * is made, at that initial memory and its tables ({@link WasmSections#initialBytes}); the pool fills
 * only while the budget has room, and gives room back, least recently used shape first, when an
 * agent's deploy needs it ({@link #reclaim}).
 */
public final class InstancePool implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("caxton.agent");

    /**
     * The pool's settings.
     *
     * @param size        idle instances kept per shape; 0 turns the pool off
     * @param prewarm     whether a shape is filled to {@code size} as soon as it is first deployed
     *                    (true) or grows by one instance per deploy or restart of that shape (false)
     * @param shapes      most shapes kept at once
     * @param maxReuse    messages a durable agent's instance handles before it is replaced; 0 for never
     * @param recycleAge  age after which a durable agent's instance is replaced once its current
     *                    message is done; {@link Duration#ZERO} for never
     */
    public record Settings(int size, boolean prewarm, int shapes, long maxReuse, Duration recycleAge) {

        /** Nothing pooled, nothing recycled. */
        public static final Settings OFF = new Settings(0, false, 0, 0, Duration.ZERO);

        /** Checks the parts. */
        public Settings {
            if (size < 0 || shapes < 0 || maxReuse < 0 || recycleAge.isNegative()) {
                throw new IllegalArgumentException("instance pool settings cannot be negative");
            }
        }
    }

    /** An instance taken from the pool, with the binding its host functions call through. */
    public record Pooled(WasmInstance instance, Binding binding) {
    }

    /**
     * Where a pooled instance's host functions go: nowhere until the agent that takes it binds its
     * own functions. Bound once, before any guest code runs, by the thread that took it.
     */
    public static final class Binding {
        private volatile Map<String, HostFunction.Body> bodies;

        /**
         * Points the instance's host functions at an agent's.
         *
         * @param agentBodies the agent's host functions by name
         */
        void bind(Map<String, HostFunction.Body> agentBodies) {
            if (bodies != null) {
                throw new IllegalStateException("a pooled instance is bound to one agent only");
            }
            bodies = agentBodies;
        }

        long[] call(String fn, GuestMemory memory, long[] args) {
            Map<String, HostFunction.Body> b = bodies;
            if (b == null) {
                throw new IllegalStateException("host function '" + fn + "' called by a pooled instance no agent holds");
            }
            return b.get(fn).call(memory, args);
        }
    }

    private record Shape(WasmModule module, InstanceLimits limits, Set<String> permissions) {
    }

    /** The idle instances of one shape. Guarded by the pool's lock. */
    private static final class Slot {
        final ArrayDeque<Pooled> idle = new ArrayDeque<>();
        /** What each of its instances is booked at in the memory budget. */
        final long bytesEach;
        int filling;
        boolean dropped;
        boolean broken;

        Slot(long bytesEach) {
            this.bytesEach = bytesEach;
        }
    }

    private final Settings settings;
    private final Executor filler;
    private final Map<Shape, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder instantiated = new LongAdder();
    private final LongAdder evicted = new LongAdder();
    private volatile MemoryBudget budget;
    private boolean closed;

    /**
     * A pool.
     *
     * @param settings its settings
     * @param filler   where instances are made (one background thread); never a message path
     */
    public InstancePool(Settings settings, Executor filler) {
        this.settings = settings;
        this.filler = filler;
    }

    /**
     * Books the idle instances in a memory budget from now on, and lets the budget take their room
     * back for agents. Called once, before the first take.
     *
     * @param b the node's memory budget
     */
    public void attach(MemoryBudget b) {
        this.budget = b;
        b.reclaimer(this::reclaim);
    }

    /**
     * What an idle instance of this code is booked at: its module's initial memory and tables, or,
     * for a binary whose sections are not read, its memory limit and the tables' share of it.
     */
    private static long bytesEach(Agent.Code c) {
        long b = WasmSections.initialBytes(c.bytes());
        if (b >= 0) {
            return b;
        }
        long limit = c.limits().toInstanceLimits().maxMemoryBytes();
        return limit + limit / InstanceLimits.TABLE_SHARE_DIVISOR;
    }

    /** @return its settings */
    public Settings settings() {
        return settings;
    }

    /**
     * Whether instances of this code may come from the pool.
     *
     * @param c what an agent runs
     * @return false for WASI agents, Extism plugins and modules with a start function
     */
    public boolean poolable(Agent.Code c) {
        return settings.size() > 0 && settings.shapes() > 0 && !c.wasi() && c.extism() == null
                && !WasmSections.hasStart(c.bytes());
    }

    /**
     * Takes an idle instance of the code's shape, if one is ready, and has the pool topped up in the
     * background. Counts a hit or a miss.
     *
     * @param c what the agent runs
     * @return the instance, or null when none is ready or the code is not {@link #poolable}
     */
    public Pooled take(Agent.Code c) {
        if (!poolable(c)) {
            return null;
        }
        Shape shape = new Shape(c.module(), c.limits().toInstanceLimits(),
                c.permissions() == null ? null : Set.copyOf(c.permissions()));
        Pooled p;
        int toMake;
        List<Pooled> evicted = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return null;
            }
            Slot slot = slots.get(shape);
            boolean first = slot == null;
            if (first) {
                slot = new Slot(bytesEach(c));
                slots.put(shape, slot);
                while (slots.size() > settings.shapes()) {
                    Iterator<Slot> oldest = slots.values().iterator();
                    evicted.addAll(dropLocked(oldest.next()));
                    oldest.remove();
                }
            }
            p = slot.idle.poll();
            if (p != null) {
                // The agent taking it has booked its whole limit already.
                releaseLocked(slot.bytesEach);
            }
            // Eager: keep the shape full. Lazy: one more for each use, up to the size.
            int want = settings.prewarm() ? settings.size() - slot.idle.size() - slot.filling
                    : Math.min(1, settings.size() - slot.idle.size() - slot.filling);
            toMake = slot.broken ? 0 : Math.max(0, want);
            slot.filling += toMake;
        }
        closeAll(evicted);
        (p == null ? misses : hits).increment();
        for (int i = 0; i < toMake; i++) {
            filler.execute(() -> fill(shape));
        }
        return p;
    }

    /** Makes one instance of a shape on the filler thread and puts it in the pool if still wanted. */
    private void fill(Shape shape) {
        Slot slot;
        synchronized (this) {
            slot = slots.get(shape);
        }
        if (slot == null) {
            return;
        }
        MemoryBudget b = budget;
        synchronized (this) {
            // Booked before it is made, so the instance never holds memory the budget does not show.
            if (slot.dropped || closed || (b != null && !b.reservePooled(slot.bytesEach))) {
                slot.filling--;
                return;
            }
        }
        Pooled made = null;
        try {
            Binding binding = new Binding();
            WasmInstance inst = shape.module().instantiate(Imports.of(hostFunctions(shape.permissions(), binding)),
                    shape.limits());
            instantiated.increment();
            made = new Pooled(inst, binding);
        } catch (RuntimeException e) {
            // The agent's own instantiation reports the reason where someone sees it; the pool
            // only stops trying for this shape.
            LOG.log(System.Logger.Level.DEBUG, "instance pool: instantiation failed, shape left unpooled: {0}",
                    e.getMessage());
        }
        boolean keep;
        synchronized (this) {
            slot.filling--;
            if (made == null) {
                slot.broken = true;
            }
            // Over-booked: an agent booked the room while this one was being made.
            keep = made != null && !slot.dropped && !closed && (b == null || !b.overBooked());
            if (keep) {
                slot.idle.add(made);
            } else if (b != null) {
                b.releasePooled(slot.bytesEach);
            }
        }
        if (made != null && !keep) {
            closeQuietly(made.instance());
        }
    }

    /**
     * The ABI's host functions, those granted, each calling through the binding.
     *
     * @param permissions the granted host functions, or null for all
     * @param binding     what they call
     */
    private static List<HostFunction> hostFunctions(Set<String> permissions, Binding binding) {
        List<HostFunction> fns = new ArrayList<>();
        for (Map.Entry<String, FunctionType> e : AbiContract.HOST_FUNCTIONS.entrySet()) {
            String fn = e.getKey();
            if (permissions == null || permissions.contains(fn)) {
                fns.add(new HostFunction(AbiContract.HOST_MODULE, fn, e.getValue(),
                        (mem, args) -> binding.call(fn, mem, args)));
            }
        }
        return fns;
    }

    /**
     * Drops every shape of a module: called when the module cache evicts it, so the pool holds no
     * instance of a module nobody can deploy from the cache any more.
     *
     * @param module the evicted module
     */
    public void drop(WasmModule module) {
        List<Pooled> gone = new ArrayList<>();
        synchronized (this) {
            for (Iterator<Map.Entry<Shape, Slot>> it = slots.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Shape, Slot> e = it.next();
                if (e.getKey().module() == module) {
                    gone.addAll(dropLocked(e.getValue()));
                    it.remove();
                }
            }
        }
        closeAll(gone);
    }

    private List<Pooled> dropLocked(Slot slot) {
        slot.dropped = true;
        List<Pooled> gone = new ArrayList<>(slot.idle);
        releaseLocked(slot.bytesEach * gone.size());
        slot.idle.clear();
        return gone;
    }

    private void releaseLocked(long bytes) {
        MemoryBudget b = budget;
        if (b != null && bytes > 0) {
            b.releasePooled(bytes);
        }
    }

    /**
     * Closes idle instances, those of the least recently used shapes first, until they held at
     * least {@code bytes} or none is left: an agent's deploy needs their room in the memory budget.
     * The shapes stay, and are filled again when the budget has room.
     *
     * @param bytes the bytes wanted back
     */
    public void reclaim(long bytes) {
        List<Pooled> gone = new ArrayList<>();
        synchronized (this) {
            long freed = 0;
            for (Iterator<Slot> it = slots.values().iterator(); it.hasNext() && freed < bytes; ) {
                Slot s = it.next();
                while (s.bytesEach > 0 && freed < bytes && !s.idle.isEmpty()) {
                    gone.add(s.idle.pollLast());
                    releaseLocked(s.bytesEach);
                    freed += s.bytesEach;
                }
            }
        }
        evicted.add(gone.size());
        closeAll(gone);
    }

    /**
     * Whether a durable agent's instance is due to be replaced.
     *
     * @param handledOnInstance messages the instance has handled
     * @param ageNanos          how long ago it was made
     * @return true once it has reached {@code max_reuse} messages or {@code recycle_age}
     */
    public boolean recycleDue(long handledOnInstance, long ageNanos) {
        return (settings.maxReuse() > 0 && handledOnInstance >= settings.maxReuse())
                || (!settings.recycleAge().isZero() && ageNanos >= settings.recycleAge().toNanos());
    }

    /** @return deploys and restarts that took a pooled instance */
    public long hits() {
        return hits.sum();
    }

    /** @return deploys and restarts of poolable code that found none ready */
    public long misses() {
        return misses.sum();
    }

    /** @return idle instances closed to make room in the memory budget for an agent */
    public long evicted() {
        return evicted.sum();
    }

    /** @return instances the pool made */
    public long instantiated() {
        return instantiated.sum();
    }

    /** @return idle instances held now, over all shapes */
    public synchronized int idle() {
        int n = 0;
        for (Slot s : slots.values()) {
            n += s.idle.size();
        }
        return n;
    }

    /** Closes every idle instance; later takes miss and nothing is made any more. */
    @Override
    public void close() {
        List<Pooled> gone = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (Slot s : slots.values()) {
                gone.addAll(dropLocked(s));
            }
            slots.clear();
        }
        closeAll(gone);
    }

    private static void closeAll(List<Pooled> gone) {
        for (Pooled p : gone) {
            closeQuietly(p.instance());
        }
    }

    private static void closeQuietly(WasmInstance inst) {
        try {
            inst.close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "instance pool: closing an instance failed: {0}", e.getMessage());
        }
    }
}
