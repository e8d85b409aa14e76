package dev.caxton.membership.swim;

import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipClock;
import dev.caxton.spi.membership.MembershipDatagrams;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipListener;
import dev.caxton.spi.membership.MembershipStatistics;
import dev.caxton.spi.membership.Seeds;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleConsumer;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import javax.crypto.SecretKey;

/**
 * The {@link SwimCore} on a real UDP socket and real time: one scheduler thread runs the protocol
 * (timers, received packets, the listener's events), one thread reads the socket and hands each
 * datagram to the scheduler. The socket is bound in {@link #join}, so a node that cannot bind fails
 * to start with the address in the message.
 *
 * <p>Offered a {@link MembershipClock} and {@link MembershipDatagrams} (a simulation does), it runs
 * the same protocol on them instead: no thread of its own, every step a task of that clock, every
 * packet through those sockets, so a test can run many nodes on a seeded virtual network.
 */
final class SwimMembership implements Membership {

    private static final System.Logger LOG = System.getLogger(SwimMembership.class.getName());
    /** Datagrams waiting for the protocol thread beyond which new ones are dropped (a flood). */
    private static final int MAX_QUEUED = 4096;

    private final String nodeName;
    private final SwimConfig config;
    private final InetSocketAddress bind;
    private final InetSocketAddress advertise;
    private final Seeds seeds;
    private final Sealer sealer;
    private final AtomicInteger queued = new AtomicInteger();
    private final Object lifecycle = new Object();
    private final MembershipClock simClock;
    private final MembershipDatagrams datagrams;
    private volatile Loop loop;
    private MembershipDatagrams.Socket socket;
    private volatile SwimCore core;
    private volatile InetSocketAddress boundSwim;
    private volatile long floodDrops;
    private volatile DoubleConsumer convergenceSink;
    private boolean closed;

    /**
     * @param nodeName  this node's id (as in {@code server.node_name})
     * @param config    the protocol's parameters
     * @param bind      where the UDP socket binds; port 0 picks a free one
     * @param advertise the address other nodes reach this one at, or null for the bound one
     * @param seeds     the seeds, resolved on every join attempt
     * @param key       the gossip key, or null for plain packets
     * @param clock     the clock to run on, or null for real time and a thread of its own
     * @param datagrams the sockets to use, or null for real UDP
     */
    SwimMembership(String nodeName, SwimConfig config, InetSocketAddress bind, InetSocketAddress advertise,
                   Seeds seeds, SecretKey key, MembershipClock clock, MembershipDatagrams datagrams) {
        this.simClock = clock;
        this.datagrams = datagrams != null ? datagrams : new UdpDatagrams();
        this.nodeName = nodeName;
        this.config = config;
        this.bind = bind;
        this.advertise = advertise;
        this.seeds = seeds;
        this.sealer = new Sealer(key);
    }

    /**
     * Binds the UDP socket, then starts the protocol as {@code self}.
     *
     * @throws IllegalStateException when already joined or closed, or when the socket cannot be bound
     *                               (naming the address)
     */
    @Override
    public void join(Member self, MembershipListener listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("this membership is closed");
            }
            if (core != null && core.running()) {
                throw new IllegalStateException("already joined");
            }
            if (!self.id().value().equals(nodeName)) {
                throw new IllegalArgumentException("joining as " + self.id() + ", but this membership was created for "
                        + nodeName);
            }
            try {
                socket = datagrams.bind(bind, this::received);
            } catch (IOException e) {
                throw new IllegalStateException("the swim membership cannot bind UDP " + bind.getHostString() + ":"
                        + bind.getPort() + " (coordination.cluster.swim.bind_addr): " + e.getMessage(), e);
            }
            InetSocketAddress local = socket.localAddress();
            boundSwim = advertised(local, self.address());
            Loop l = simClock != null ? new ClockLoop(simClock) : new ThreadLoop("swim-" + nodeName);
            loop = l;
            SwimCore.Clock clock = new SwimCore.Clock() {
                private final long origin = System.nanoTime();

                @Override
                public long now() {
                    return simClock != null ? simClock.monotonicMillis() : (System.nanoTime() - origin) / 1_000_000;
                }

                @Override
                public long wallMillis() {
                    return simClock != null ? simClock.wallMillis() : System.currentTimeMillis();
                }

                @Override
                public void schedule(long delayMs, Runnable task) {
                    try {
                        l.schedule(delayMs, () -> guarded(task));
                    } catch (RejectedExecutionException e) {
                        // stopping: the task would find the protocol stopped anyway
                    }
                }
            };
            MembershipDatagrams.Socket s = socket;
            SwimCore.Endpoint endpoint = (to, packet) -> s.send(to, ByteBuffer.wrap(packet));
            RandomGenerator random = simClock != null ? simClock.random() : new SecureRandom();
            SwimCore c = new SwimCore(nodeName, config, clock, endpoint, sealer, random, () -> resolveSeeds(),
                    (type, member) -> deliver(listener, type, member));
            c.onConvergence(convergenceSink);
            core = c;
            Map<String, String> metadata = self.metadata();
            InetSocketAddress transport = self.address();
            call(() -> {
                c.start(boundSwim, transport, metadata);
                return null;
            });
            LOG.log(System.Logger.Level.INFO, "swim: {0} listens on UDP {1}, advertised as {2}", nodeName, local, boundSwim);
        }
    }

    /** The advertised address: the configured one, else the bound one (a wildcard replaced by the transport's host). */
    private InetSocketAddress advertised(InetSocketAddress local, InetSocketAddress transport) {
        if (advertise != null) {
            return advertise;
        }
        if (local.getAddress().isAnyLocalAddress()) {
            return new InetSocketAddress(transport.getAddress(), local.getPort());
        }
        return local;
    }

    private List<InetSocketAddress> resolveSeeds() {
        List<InetSocketAddress> r = seeds.resolve();
        if (r.isEmpty() && !seeds.isEmpty()) {
            LOG.log(System.Logger.Level.DEBUG, "swim: no seed of {0} resolves yet", seeds.addresses());
        }
        return r;
    }

    private static void deliver(MembershipListener listener, MembershipEvent.Type type, Member member) {
        try {
            listener.onEvent(new MembershipEvent(type, member));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "swim: the membership listener failed on {0} {1}: {2}", type,
                    member.id(), e.toString());
        }
    }

    private static void guarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            // One bad step must not stop the protocol thread's other timers.
            LOG.log(System.Logger.Level.WARNING, "swim: protocol step failed: {0}", e.toString());
        }
    }

    /** Hands a packet to the protocol's thread, or drops it when that thread is flooded or not started. */
    private void received(InetSocketAddress from, ByteBuffer buf) {
        SwimCore c = core;
        Loop l = loop;
        if (c == null || l == null) {
            return;
        }
        byte[] packet = new byte[buf.remaining()];
        buf.get(packet);
        if (queued.incrementAndGet() > MAX_QUEUED) {
            queued.decrementAndGet();
            // Only the receiving thread writes it; others read a slightly old value at worst.
            floodDrops++;
            return;
        }
        try {
            l.execute(() -> {
                queued.decrementAndGet();
                guarded(() -> c.onPacket(from, packet));
            });
        } catch (RejectedExecutionException e) {
            queued.decrementAndGet();
        }
    }

    /** Runs on the protocol thread and waits for the answer (directly when already on it). */
    private <T> T call(java.util.concurrent.Callable<T> task) {
        if (loop.inside()) {
            try {
                return task.call();
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                try {
                    f.complete(task.call());
                } catch (Exception | Error e) {
                    f.completeExceptionally(e);
                }
            });
            return f.get(30, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the swim membership is stopping");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the swim protocol thread did not answer within 30s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    @Override
    public List<Member> members() {
        // No lifecycle lock here: the listener, called on the protocol thread while join holds that
        // lock, may ask for the members.
        SwimCore c = core;
        Loop l = loop;
        if (c == null || l == null || l.isShutdown()) {
            return List.of();
        }
        try {
            return call(c::members);
        } catch (IllegalStateException e) {
            return List.of();
        }
    }

    /**
     * Replaces this node's metadata and spreads it.
     *
     * @throws IllegalArgumentException when it exceeds the wire's bounds (32 entries, 768 bytes)
     */
    @Override
    public void updateMetadata(Map<String, String> metadata) {
        Wire.checkMetadata(metadata);
        SwimCore c = core;
        Loop l = loop;
        if (c == null || l == null || l.isShutdown()) {
            return;
        }
        call(() -> {
            c.updateMetadata(metadata);
            return null;
        });
    }

    @Override
    public void leave() {
        synchronized (lifecycle) {
            if (core == null || loop == null || loop.isShutdown()) {
                return;
            }
            SwimCore c = core;
            try {
                call(() -> {
                    c.leave();
                    return null;
                });
            } catch (IllegalStateException e) {
                LOG.log(System.Logger.Level.DEBUG, "swim: leave: {0}", e.getMessage());
            }
            stop();
        }
    }

    private void stop() {
        loop.shutdown();
        closeSocket();
        if (core != null && (core.drops().values().stream().mapToLong(Long::longValue).sum() > 0 || floodDrops > 0)) {
            LOG.log(System.Logger.Level.INFO, "swim: packets dropped: {0}, flood {1}", core.drops(), floodDrops);
        }
    }

    private void closeSocket() {
        if (socket != null) {
            socket.close();
        }
    }

    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            leave();
            closed = true;
        }
    }

    /** Stops without a goodbye, as {@code kill -9} would; for tests. */
    void crash() {
        synchronized (lifecycle) {
            if (loop != null && !loop.isShutdown()) {
                SwimCore c = core;
                call(() -> {
                    c.halt();
                    return null;
                });
                stop();
            }
            closed = true;
        }
    }

    /**
     * Refused packets by coarse reason (the fine reasons of {@link #drops()} grouped, so the metric's
     * labels stay few) and protocol events by kind.
     */
    @Override
    public MembershipStatistics statistics() {
        SwimCore c = core;
        if (c == null) {
            return MembershipStatistics.NONE;
        }
        List<Map<String, Long>> maps = onLoop(c, () -> List.of(Map.copyOf(c.drops()), Map.copyOf(c.events())));
        Map<String, Long> dropped = new TreeMap<>();
        for (String r : DROP_REASONS) {
            dropped.put(r, 0L);
        }
        maps.get(0).forEach((reason, n) -> dropped.merge(dropReason(reason), n, Long::sum));
        dropped.merge("flood", floodDrops, Long::sum);
        return new MembershipStatistics(dropped, maps.get(1));
    }

    /** The labels {@link #statistics()} reports, each present from the start so the series exist at 0. */
    static final List<String> DROP_REASONS = List.of("malformed", "too_large", "unauthenticated", "non_member",
            "flood", "from_self", "misdirected");

    /** Groups a fine drop reason (a {@link Wire.Malformed} message or the protocol's own) under its label. */
    static String dropReason(String fine) {
        return switch (fine) {
            case "too_long" -> "too_large";
            case "unauthenticated", "plain", "encrypted" -> "unauthenticated";
            case "non_member", "from_self", "misdirected" -> fine;
            default -> "malformed";
        };
    }

    /**
     * SWIM stamps every change of state with its origin's wall-clock time, so each node reports how
     * long the changes it applies took to reach it.
     */
    @Override
    public boolean reportConvergence(DoubleConsumer sink) {
        convergenceSink = sink;
        SwimCore c = core;
        if (c != null) {
            onLoop(c, () -> {
                c.onConvergence(sink);
                return null;
            });
        }
        return true;
    }

    /** Runs on the protocol thread while it runs, directly once it stopped (nothing else touches the core then). */
    private <T> T onLoop(SwimCore c, java.util.concurrent.Callable<T> task) {
        Loop l = loop;
        try {
            if (l == null || l.isShutdown()) {
                return task.call();
            }
            return call(task);
        } catch (IllegalStateException e) {
            // Stopping while asked: the protocol thread is gone, the state is final.
            try {
                return task.call();
            } catch (Exception inner) {
                throw new IllegalStateException(inner.getMessage(), inner);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Where the SWIM socket is reached (the advertised address); null before join. */
    InetSocketAddress swimAddress() {
        return boundSwim;
    }

    /** Packets dropped by reason (for tests and the log). */
    Map<String, Long> drops() {
        SwimCore c = core;
        if (c == null) {
            return Map.of();
        }
        if (loop.isShutdown()) {
            return Map.copyOf(c.drops());
        }
        return call(() -> Map.copyOf(c.drops()));
    }

    /** This node's current incarnation. */
    long incarnation() {
        SwimCore c = core;
        return c == null ? 0 : call(c::incarnation);
    }

    /** Whether this node currently judges a member so; for tests. */
    boolean sees(String id, MemberState state) {
        return members().stream().anyMatch(m -> m.id().value().equals(id) && m.state() == state);
    }

    /** Where the protocol's steps run: a thread of its own on real time, or the tasks of an offered clock. */
    private interface Loop {
        /** Runs a task soon; throws {@link RejectedExecutionException} once shut down. */
        void execute(Runnable task);

        /** Runs a task later; throws {@link RejectedExecutionException} once shut down. */
        void schedule(long delayMs, Runnable task);

        /** Whether the caller is already on the protocol's thread (so a call must run directly). */
        boolean inside();

        boolean isShutdown();

        /** Stops running tasks, waiting a little for the one running now. */
        void shutdown();
    }

    /** The real-time loop: one daemon thread. */
    private static final class ThreadLoop implements Loop {
        private final ScheduledThreadPoolExecutor executor;
        private volatile Thread thread;

        ThreadLoop(String name) {
            executor = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                thread = t;
                return t;
            });
            executor.setRemoveOnCancelPolicy(true);
            executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        }

        @Override
        public void execute(Runnable task) {
            executor.execute(task);
        }

        @Override
        public void schedule(long delayMs, Runnable task) {
            executor.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        }

        @Override
        public boolean inside() {
            return Thread.currentThread() == thread;
        }

        @Override
        public boolean isShutdown() {
            return executor.isShutdown();
        }

        @Override
        public void shutdown() {
            executor.shutdown();
            try {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The loop of an offered clock: its driver calls this membership on the clock's own thread, so
     * calls run directly, and tasks left on the clock after a stop do nothing.
     */
    private static final class ClockLoop implements Loop {
        private final MembershipClock clock;
        private boolean stopped;

        ClockLoop(MembershipClock clock) {
            this.clock = clock;
        }

        @Override
        public void execute(Runnable task) {
            schedule(0, task);
        }

        @Override
        public void schedule(long delayMs, Runnable task) {
            if (stopped) {
                throw new RejectedExecutionException("stopped");
            }
            clock.schedule(delayMs, () -> {
                if (!stopped) {
                    task.run();
                }
            });
        }

        @Override
        public boolean inside() {
            return true;
        }

        @Override
        public boolean isShutdown() {
            return stopped;
        }

        @Override
        public void shutdown() {
            stopped = true;
        }
    }
}
