package dev.caxton.testkit.membership;

import dev.caxton.spi.membership.MembershipDatagrams;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A datagram network simulated on a {@link VirtualClock}, for membership providers whose protocol
 * takes its clock and its packet endpoint as seams: many members in one JVM, seeded loss, delay
 * between {@code minDelay} and {@code maxDelay}, nodes taken down (crash), and partitions. Every
 * random choice comes from the seed, so a run is repeatable.
 *
 * <p>Single-threaded like the clock: sends schedule deliveries on the clock, and receivers run on the
 * clock's thread.
 */
public final class SimulatedNetwork {

    private final VirtualClock clock;
    private final Random random;
    private final Map<InetSocketAddress, BiConsumer<InetSocketAddress, byte[]>> receivers = new HashMap<>();
    private final Set<InetSocketAddress> down = new HashSet<>();
    private final Map<InetSocketAddress, Integer> side = new HashMap<>();
    private double loss;
    private long minDelay = 1;
    private long maxDelay = 5;
    private long sent;
    private long delivered;
    private long bytes;
    private int nextPort = 40_000;

    /**
     * @param clock the virtual clock deliveries run on
     * @param seed  the seed of loss and delay
     */
    public SimulatedNetwork(VirtualClock clock, long seed) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = new Random(seed);
    }

    /**
     * Sets the loss rate of every packet, independently.
     *
     * @param rate from 0 (none) to 1 (all)
     * @return this network
     */
    public SimulatedNetwork loss(double rate) {
        if (rate < 0 || rate > 1) {
            throw new IllegalArgumentException("loss must be 0 to 1, got " + rate);
        }
        this.loss = rate;
        return this;
    }

    /**
     * Sets the one-way delay range.
     *
     * @param minMs the least delay
     * @param maxMs the most delay
     * @return this network
     */
    public SimulatedNetwork delay(long minMs, long maxMs) {
        if (minMs < 0 || maxMs < minMs) {
            throw new IllegalArgumentException("delay range " + minMs + ".." + maxMs + " is not valid");
        }
        this.minDelay = minMs;
        this.maxDelay = maxMs;
        return this;
    }

    /**
     * Attaches a receiver at an address (replacing any earlier one: a restart), and brings it up.
     *
     * @param address  the node's address
     * @param receiver gets (from, packet) for each packet delivered
     */
    public void attach(InetSocketAddress address, BiConsumer<InetSocketAddress, byte[]> receiver) {
        receivers.put(address, receiver);
        down.remove(address);
    }

    /**
     * Removes the receiver at an address (a socket closed); packets to it are lost until another
     * attaches there.
     *
     * @param address the node's address
     */
    public void detach(InetSocketAddress address) {
        receivers.remove(address);
    }

    /**
     * This network as the datagram service of the membership SPI, for providers that open sockets of
     * their own (SWIM): a socket bound here is attached at its address (port 0 picks an unused one),
     * its sends go through {@link #send}, and its receiver runs on the clock's thread.
     *
     * @return the service
     */
    public MembershipDatagrams datagrams() {
        return this::bind;
    }

    private MembershipDatagrams.Socket bind(InetSocketAddress address, MembershipDatagrams.Receiver receiver)
            throws IOException {
        InetSocketAddress local = address.getPort() != 0 ? address
                : new InetSocketAddress(address.getAddress(), nextPort++);
        if (receivers.containsKey(local)) {
            throw new BindException(local + " is already bound in the simulated network");
        }
        BiConsumer<InetSocketAddress, byte[]> r = (from, bytes) -> receiver.packet(from, ByteBuffer.wrap(bytes));
        attach(local, r);
        return new MembershipDatagrams.Socket() {
            private boolean closed;

            @Override
            public InetSocketAddress localAddress() {
                return local;
            }

            @Override
            public void send(InetSocketAddress to, ByteBuffer packet) {
                if (closed) {
                    return;
                }
                byte[] copy = new byte[packet.remaining()];
                packet.get(copy);
                SimulatedNetwork.this.send(local, to, copy);
            }

            @Override
            public void close() {
                closed = true;
                // Only this socket's own receiver: a restarted node may already be bound there again.
                receivers.remove(local, r);
            }
        };
    }

    /**
     * Takes a node off the network or puts it back; packets in flight to it are lost too.
     *
     * @param address the node
     * @param isDown  true to take it down
     */
    public void down(InetSocketAddress address, boolean isDown) {
        if (isDown) {
            down.add(address);
        } else {
            down.remove(address);
        }
    }

    /**
     * Puts nodes on a numbered side of a partition: packets pass only between nodes of the same side
     * (nodes never placed are on side 0).
     *
     * @param sideNumber the side
     * @param addresses  the nodes
     */
    public void partition(int sideNumber, Iterable<InetSocketAddress> addresses) {
        for (InetSocketAddress a : addresses) {
            side.put(a, sideNumber);
        }
    }

    /** Heals every partition. */
    public void heal() {
        side.clear();
    }

    /**
     * Sends a packet; it arrives after a random delay unless lost, or either end is down, or a
     * partition separates them (judged at delivery time too).
     *
     * @param from   the sender's address
     * @param to     the receiver's address
     * @param packet the bytes (not copied: the sender must not reuse them)
     */
    public void send(InetSocketAddress from, InetSocketAddress to, byte[] packet) {
        sent++;
        bytes += packet.length;
        if (down.contains(from) || random.nextDouble() < loss) {
            return;
        }
        long delay = minDelay + (maxDelay > minDelay ? random.nextLong(maxDelay - minDelay + 1) : 0);
        clock.schedule(delay, () -> {
            BiConsumer<InetSocketAddress, byte[]> r = receivers.get(to);
            if (r == null || down.contains(to) || down.contains(from)
                    || side.getOrDefault(from, 0).intValue() != side.getOrDefault(to, 0).intValue()) {
                return;
            }
            delivered++;
            r.accept(from, packet);
        });
    }

    /**
     * Packets sent so far.
     *
     * @return the count
     */
    public long sent() {
        return sent;
    }

    /**
     * Packets delivered so far.
     *
     * @return the count
     */
    public long delivered() {
        return delivered;
    }

    /**
     * Bytes sent so far.
     *
     * @return the count
     */
    public long bytes() {
        return bytes;
    }
}
