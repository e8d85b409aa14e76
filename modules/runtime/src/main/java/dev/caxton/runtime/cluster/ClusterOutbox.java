package dev.caxton.runtime.cluster;

import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.durability.Ledger;
import dev.caxton.runtime.routing.DeadLetterSink;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.storage.StorageWrite;
import dev.caxton.spi.storage.StoredMessage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Messages for agents on other nodes, kept until the receiving node says it has stored them
 * ({@code messaging.enable_persistence}). The sending node writes each one to its own outbox under
 * the key {@code @node/agent}, sends it in a {@link Cluster#PERSIST} frame, and removes it when a
 * {@link Cluster#STORED} frame comes back, which the receiving node sends only once the message is in
 * its outbox. Until then the message is sent again when the link to that node opens (either side
 * restarted) and every {@link #RESEND_AFTER} while unconfirmed; the receiver drops repeats by id.
 *
 * <p>A node judged dead keeps its messages here: they go when it comes back, within
 * {@code messaging.message_ttl}; after that they are dead-lettered.
 *
 * <p>With {@code coordination.partition.degraded_mode} and persistence off there is no ledger: the
 * same bookkeeping runs in memory, so messages for nodes on the other side of a partition wait for
 * the heal, but a crash of this node loses them.
 */
final class ClusterOutbox {

    private static final System.Logger LOG = System.getLogger(ClusterOutbox.class.getName());
    /** How long a sent message waits for its confirmation before it is sent again. */
    static final Duration RESEND_AFTER = Duration.ofSeconds(2);
    /** Most messages sent again to one node per sweep, so a returning node is not flooded at once. */
    private static final int RESEND_BATCH = 2000;
    private static final int HEADER = 13;

    private record Pending(String node, String agent, Envelope envelope, byte[] frame, long acceptedAtMillis,
                           long[] lastSentNanos) {
    }

    private final Ledger ledger;
    private final PeerLinks links;
    private final Serializer wire;
    private final DeadLetterSink deadLetters;
    private final Duration ttl;
    private final long max;
    private final Map<String, Map<String, Pending>> byNode = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final LongAdder resent = new LongAdder();
    private final LongAdder confirmed = new LongAdder();

    ClusterOutbox(Ledger ledger, PeerLinks links, Serializer wire, DeadLetterSink deadLetters, Duration ttl, long max) {
        this.ledger = ledger;
        this.links = links;
        this.wire = wire;
        this.deadLetters = deadLetters;
        this.ttl = ttl;
        this.max = max;
    }

    /** Writes to the node's outbox; without persistence (degraded mode alone) the kept messages live in memory only. */
    private void store(List<StorageWrite> writes) {
        if (ledger != null) {
            ledger.write(writes);
        }
    }

    /** @return the outbox key of a message for {@code agent} on {@code node} */
    static String key(String node, String agent) {
        return "@" + node + "/" + agent;
    }

    /** @return whether an outbox receiver names another node's agent */
    static boolean isRemote(String receiver) {
        return receiver.startsWith("@") && receiver.indexOf('/') > 1;
    }

    /**
     * Stores a message for another node, then sends it.
     *
     * @return null when taken, otherwise why not (the caller dead-letters it)
     */
    String offer(String node, Envelope e) {
        byte[] env;
        try {
            env = wire.encode(e);
        } catch (SerializationException ex) {
            return "cannot be encoded for node " + node + ": " + ex.getMessage();
        }
        if (!links.fits(env.length + HEADER)) {
            return "too large for the transport to node " + node;
        }
        if (size.incrementAndGet() > max) {
            size.decrementAndGet();
            return "the node's queue is full (messaging.queue_size " + max + "): " + max
                    + " messages for other nodes await confirmation";
        }
        long now = System.currentTimeMillis();
        Pending p = new Pending(node, e.receiver(), e, frame(now, env), now, new long[] {System.nanoTime()});
        Pending before = byNode.computeIfAbsent(node, n -> new ConcurrentHashMap<>()).put(e.messageId() + "\0" + e.receiver(), p);
        if (before != null) {
            size.decrementAndGet();
        }
        // Queued before the frame goes, so the confirmation's removal is committed after the add.
        store(List.of(new StorageWrite.OutboxAdd(new StoredMessage(e.messageId(), key(node, e.receiver()), env,
                "", 0, Instant.ofEpochMilli(now)))));
        links.sendCluster(node, p.frame(), e.effectivePriority());
        return null;
    }

    /** Takes back a stored message for another node after a restart; it goes when the link is up. */
    void recover(StoredMessage m) {
        String rest = m.receiver().substring(1);
        int slash = rest.indexOf('/');
        String node = rest.substring(0, slash);
        String agent = rest.substring(slash + 1);
        Envelope e;
        try {
            e = wire.decode(m.envelope());
        } catch (RuntimeException ex) {
            LOG.log(System.Logger.Level.ERROR, "cluster outbox entry {0} for {1} cannot be read ({2}); dropped",
                    m.id(), m.receiver(), ex.getMessage());
            store(List.of(new StorageWrite.OutboxRemove(m.receiver(), m.id())));
            return;
        }
        Pending p = new Pending(node, agent, e, frame(m.at().toEpochMilli(), m.envelope()), m.at().toEpochMilli(),
                new long[] {System.nanoTime() - RESEND_AFTER.toNanos()});
        if (byNode.computeIfAbsent(node, n -> new ConcurrentHashMap<>()).put(m.id() + "\0" + agent, p) == null) {
            size.incrementAndGet();
        }
    }

    private static byte[] frame(long first, byte[] env) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + env.length);
        b.put(Cluster.PERSIST).putInt(0).putLong(first).put(env);
        return b.array();
    }

    /** The receiving node stored a message: it is no longer this node's to keep. */
    void onStored(String from, ByteBuffer frame) {
        if (frame.remaining() < 4) {
            links.rejected(from, "stored frame too short");
            return;
        }
        String agent = string(frame);
        String id = agent == null ? null : string(frame);
        if (id == null || frame.hasRemaining()) {
            links.rejected(from, "stored frame malformed");
            return;
        }
        Map<String, Pending> pending = byNode.get(from);
        // Only the node a message went to may confirm it.
        if (pending != null && pending.remove(id + "\0" + agent) != null) {
            size.decrementAndGet();
            confirmed.increment();
            store(List.of(new StorageWrite.OutboxRemove(key(from, agent), id)));
        }
    }

    /**
     * The receiving node refused a stored message. A full mailbox is tried again later; anything else
     * (no such agent) is final.
     *
     * @return whether the message was one of this outbox's (the caller handles it otherwise)
     */
    boolean onRefused(String from, Envelope e, SendStatus status, String reason) {
        Map<String, Pending> pending = byNode.get(from);
        String k = e.messageId() + "\0" + e.receiver();
        if (pending == null || !pending.containsKey(k)) {
            return false;
        }
        if (status == SendStatus.QUEUE_FULL) {
            return true;
        }
        if (pending.remove(k) != null) {
            size.decrementAndGet();
            deadLetters.deadLetter(e, "refused by node " + from + ": " + reason);
            store(List.of(new StorageWrite.OutboxRemove(key(from, e.receiver()), e.messageId())));
        }
        return true;
    }

    /** A link to a node opened: whatever it has not confirmed goes again. */
    void onOpened(String node) {
        resend(node, 0);
    }

    /** Sends again what waited too long, and dead-letters what waited past the TTL. */
    void sweep() {
        long cutoff = System.currentTimeMillis() - ttl.toMillis();
        for (Map.Entry<String, Map<String, Pending>> n : byNode.entrySet()) {
            n.getValue().entrySet().removeIf(en -> {
                Pending p = en.getValue();
                if (p.acceptedAtMillis() >= cutoff) {
                    return false;
                }
                size.decrementAndGet();
                deadLetters.deadLetter(p.envelope(), "ttl expired: node " + p.node() + " did not confirm it within "
                        + "messaging.message_ttl (" + ttl.toMillis() + "ms)");
                store(List.of(new StorageWrite.OutboxRemove(key(p.node(), p.agent()), p.envelope().messageId())));
                return true;
            });
            resend(n.getKey(), RESEND_AFTER.toNanos());
        }
    }

    private void resend(String node, long olderThanNanos) {
        Map<String, Pending> pending = byNode.get(node);
        if (pending == null) {
            return;
        }
        long now = System.nanoTime();
        int sent = 0;
        for (Pending p : pending.values()) {
            if (sent >= RESEND_BATCH) {
                return;
            }
            if (now - p.lastSentNanos()[0] < olderThanNanos) {
                continue;
            }
            if (!links.sendCluster(node, p.frame(), p.envelope().effectivePriority())) {
                return;
            }
            p.lastSentNanos()[0] = now;
            resent.increment();
            sent++;
        }
    }

    /** @return messages for other nodes not yet confirmed */
    int size() {
        return size.get();
    }

    /** @return messages sent again */
    long resent() {
        return resent.sum();
    }

    /** @return messages confirmed by their receiving node */
    long confirmed() {
        return confirmed.sum();
    }

    /** The confirmation a receiving node sends once the message is stored. */
    static byte[] storedFrame(String agent, String id) {
        byte[] a = agent.getBytes(StandardCharsets.UTF_8);
        byte[] i = id.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 2 + a.length + 2 + i.length);
        b.put(Cluster.STORED).putShort((short) a.length).put(a).putShort((short) i.length).put(i);
        return b.array();
    }

    private static String string(ByteBuffer b) {
        if (b.remaining() < 2) {
            return null;
        }
        int len = b.getShort() & 0xffff;
        if (len > 1024 || len > b.remaining()) {
            return null;
        }
        byte[] s = new byte[len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
