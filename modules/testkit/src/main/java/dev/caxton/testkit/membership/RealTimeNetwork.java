package dev.caxton.testkit.membership;

import dev.caxton.spi.membership.MembershipDatagrams;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * A {@link SimulatedNetwork} that moves in step with real time, for membership providers that keep
 * threads and timers of their own (JGroups): the packets still meet the simulation's seeded loss,
 * delay, crashes and partitions, but the provider's protocol runs on real time, and its threads may
 * send from anywhere.
 *
 * <p>The simulated network and its {@link VirtualClock} are single-threaded; this class makes them
 * usable from many threads. Every touch of them happens under one lock: a send from a provider's
 * thread, a bind, and whatever the test does through {@link #locked}. A driver thread advances the
 * clock to the real time elapsed since {@link #start()} about every millisecond, under the lock,
 * and then hands the packets that arrived to their receivers outside it. A receiver is therefore
 * never called with the lock held: a provider that sends from its receive path, or whose receive
 * path waits for one of its own threads that is sending, cannot deadlock against the driver.
 * Receivers run on the driver thread only, one packet at a time, as the datagram SPI promises.
 */
public final class RealTimeNetwork implements AutoCloseable {

    private record Arrival(MembershipDatagrams.Receiver receiver, InetSocketAddress from, byte[] bytes) {
    }

    private final VirtualClock clock;
    private final SimulatedNetwork network;
    private final Object lock = new Object();
    /** Packets the clock delivered and the driver has yet to hand over; guarded by {@link #lock}. */
    private List<Arrival> arrived = new ArrayList<>();
    private volatile boolean running;
    private Thread driver;
    private long origin;

    /**
     * @param clock   the clock of the network; nothing else may run it once {@link #start()} is called
     * @param network the network, built on {@code clock}
     */
    public RealTimeNetwork(VirtualClock clock, SimulatedNetwork network) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.network = Objects.requireNonNull(network, "network");
    }

    /**
     * Starts the driver thread: from now on virtual time follows real time.
     *
     * @return this network
     */
    public RealTimeNetwork start() {
        synchronized (lock) {
            if (running) {
                return this;
            }
            running = true;
            origin = System.nanoTime() - clock.now() * 1_000_000L;
        }
        driver = Thread.ofPlatform().daemon().name("real-time-network").start(this::drive);
        return this;
    }

    private void drive() {
        while (running) {
            List<Arrival> batch;
            synchronized (lock) {
                clock.runUntil((System.nanoTime() - origin) / 1_000_000L);
                batch = arrived;
                arrived = new ArrayList<>();
            }
            for (Arrival a : batch) {
                try {
                    a.receiver.packet(a.from, ByteBuffer.wrap(a.bytes).asReadOnlyBuffer());
                } catch (RuntimeException e) {
                    // A receiver that throws is the provider's bug; the network carries on, as UDP would.
                    System.getLogger(RealTimeNetwork.class.getName()).log(System.Logger.Level.WARNING,
                            "a receiver threw on a packet from " + a.from, e);
                }
            }
            LockSupport.parkNanos(1_000_000L);
        }
    }

    /**
     * Runs something against the network or the clock under the lock (take a node down, partition,
     * heal, read the counters).
     *
     * @param action what to run
     * @param <T>    what it returns
     * @return its result
     */
    public <T> T locked(Supplier<T> action) {
        synchronized (lock) {
            return action.get();
        }
    }

    /**
     * Runs something against the network or the clock under the lock.
     *
     * @param action what to run
     */
    public void locked(Runnable action) {
        synchronized (lock) {
            action.run();
        }
    }

    /**
     * The virtual time, which follows real time once started.
     *
     * @return milliseconds
     */
    public long now() {
        synchronized (lock) {
            return clock.now();
        }
    }

    /**
     * The network as the membership SPI's datagram service, usable from any thread; receivers are
     * called on the driver thread.
     *
     * @return the service
     */
    public MembershipDatagrams datagrams() {
        MembershipDatagrams inner = network.datagrams();
        return (address, receiver) -> {
            Objects.requireNonNull(receiver, "receiver");
            MembershipDatagrams.Socket socket;
            synchronized (lock) {
                // The simulated network calls this on the clock, under the lock: queue the packet for
                // the driver to hand over once the lock is released.
                socket = inner.bind(address, (from, packet) -> {
                    byte[] copy = new byte[packet.remaining()];
                    packet.get(copy);
                    arrived.add(new Arrival(receiver, from, copy));
                });
            }
            return new MembershipDatagrams.Socket() {
                @Override
                public InetSocketAddress localAddress() {
                    return socket.localAddress();
                }

                @Override
                public void send(InetSocketAddress to, ByteBuffer packet) {
                    synchronized (lock) {
                        socket.send(to, packet);
                    }
                }

                @Override
                public void close() {
                    synchronized (lock) {
                        socket.close();
                    }
                }
            };
        };
    }

    /** Stops the driver; packets in flight are dropped. */
    @Override
    public void close() {
        running = false;
        Thread t = driver;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

}
