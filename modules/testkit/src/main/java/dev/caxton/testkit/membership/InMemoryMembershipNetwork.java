package dev.caxton.testkit.membership;

import dev.caxton.spi.membership.MembershipChannel;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A network of {@link MembershipChannel}s in one process, for fast tests of membership providers
 * without sockets.
 *
 * <p>Each node gets a channel with {@link #channel(String, InetSocketAddress)}. A packet is copied when
 * sent and handed to the receiver of the node listening at the address on a delivery thread of that
 * node (one per node, so packets between two nodes arrive in order, and a slow receiver delays only
 * its own node), with the sender's node id, as a real transport would after its handshake. Tests can
 * take a node off the network ({@link #down}: it neither sends nor receives, as after
 * {@code kill -9}), cut one direction between two nodes ({@link #cut}), and inject raw bytes that
 * claim to come from any node ({@link #inject}).
 *
 * <p>Close the network to stop its delivery threads.
 */
public final class InMemoryMembershipNetwork implements AutoCloseable {

    /** The largest packet the channels take, as a real transport might bound it. */
    public static final int MAX_PACKET_BYTES = 64 * 1024;

    private final Map<InetSocketAddress, Node> byAddress = new ConcurrentHashMap<>();
    private final Set<String> down = ConcurrentHashMap.newKeySet();
    private final Set<String> cuts = ConcurrentHashMap.newKeySet();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong receiverFailures = new AtomicLong();

    /** Creates an empty network. */
    public InMemoryMembershipNetwork() {
    }

    /**
     * The channel of a node listening at {@code address}; replaces an earlier node at that address
     * (a restart).
     *
     * @param nodeId  the node's id, given to receivers as the sender of its packets
     * @param address the transport address the node listens on
     * @return the channel
     */
    public MembershipChannel channel(String nodeId, InetSocketAddress address) {
        Node node = new Node(nodeId, address);
        Node old = byAddress.put(address, node);
        if (old != null) {
            old.stop();
        }
        return node;
    }

    /**
     * Takes a node off the network, or puts it back: while down, its packets and packets for it are
     * lost.
     *
     * @param nodeId the node
     * @param isDown true to take it off
     */
    public void down(String nodeId, boolean isDown) {
        if (isDown) {
            down.add(nodeId);
        } else {
            down.remove(nodeId);
        }
    }

    /**
     * Cuts (or heals) one direction: packets from {@code from} to {@code to} are lost while the other
     * direction still works.
     *
     * @param from the sender
     * @param to   the receiver
     * @param isCut true to cut
     */
    public void cut(String from, String to, boolean isCut) {
        if (isCut) {
            cuts.add(from + "\u0000" + to);
        } else {
            cuts.remove(from + "\u0000" + to);
        }
    }

    /**
     * Delivers raw bytes to the node at {@code to} as if {@code fromNode} had sent them, ignoring
     * {@link #down} and {@link #cut}.
     *
     * @param fromNode the sender to claim
     * @param to       the receiving node's address
     * @param packet   the bytes
     * @return false when no node listens there
     */
    public boolean inject(String fromNode, InetSocketAddress to, byte[] packet) {
        Node target = byAddress.get(to);
        if (target == null) {
            return false;
        }
        target.enqueue(fromNode, packet.clone());
        return true;
    }

    /**
     * How many packets reached a receiver so far.
     *
     * @return the count
     */
    public long delivered() {
        return delivered.get();
    }

    /**
     * How many times a receiver threw instead of returning; a provider's receiver should never throw.
     *
     * @return the count
     */
    public long receiverFailures() {
        return receiverFailures.get();
    }

    @Override
    public void close() {
        byAddress.values().forEach(Node::stop);
        byAddress.clear();
    }

    private final class Node implements MembershipChannel {
        private final String id;
        private final InetSocketAddress address;
        private final ExecutorService delivery;
        private volatile Receiver receiver;

        Node(String id, InetSocketAddress address) {
            this.id = Objects.requireNonNull(id, "id");
            this.address = Objects.requireNonNull(address, "address");
            this.delivery = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "membership-net-" + id);
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public boolean send(InetSocketAddress transportAddress, ByteBuffer packet) {
            if (packet.remaining() > MAX_PACKET_BYTES) {
                throw new IllegalArgumentException("packet of " + packet.remaining() + " bytes; at most "
                        + MAX_PACKET_BYTES);
            }
            byte[] copy = new byte[packet.remaining()];
            packet.duplicate().get(copy);
            Node target = byAddress.get(transportAddress);
            if (target == null || byAddress.get(address) != this || down.contains(id)) {
                return false;
            }
            if (down.contains(target.id) || cuts.contains(id + "\u0000" + target.id)) {
                return true;   // queued, then lost on the way, as on a real network
            }
            target.enqueue(id, copy);
            return true;
        }

        void enqueue(String from, byte[] bytes) {
            try {
                delivery.execute(() -> {
                    Receiver r = receiver;
                    if (r != null && !down.contains(id)) {
                        delivered.incrementAndGet();
                        try {
                            r.packet(from, ByteBuffer.wrap(bytes).asReadOnlyBuffer());
                        } catch (RuntimeException e) {
                            // A real transport would log this and go on; the count lets tests see it.
                            receiverFailures.incrementAndGet();
                        }
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The node was stopped; its packets are lost like those of a closed socket.
            }
        }

        @Override
        public void receiver(Receiver receiver) {
            this.receiver = receiver;
        }

        @Override
        public int maxPacketBytes() {
            return MAX_PACKET_BYTES;
        }

        void stop() {
            receiver = null;
            delivery.shutdownNow();
            try {
                delivery.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
