package dev.caxton.runtime.durability;

import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageWrite;
import dev.caxton.spi.storage.StoredMessage;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * At-least-once delivery for the agents of one node ({@code messaging.enable_persistence}).
 *
 * <p>A message enters the outbox when an agent's mailbox accepts it ({@link #admit}) and leaves it
 * in the transaction that completes it ({@link #completed}): the receiving agent handled it, or it
 * was dead-lettered. That transaction also remembers the message id as handled for
 * {@code messaging.dedup_window} and carries the agent's checkpoint when it is durable, so state and
 * delivery never disagree after a crash. Both writes go through the {@link CommitQueue}, whose order
 * guarantees that an entry is stored before its completion, and that whatever an agent sent while
 * handling a message is stored before that message's completion.
 *
 * <p>Duplicates: a message whose id is pending for the same receiver (queued or being handled) or
 * handled within the window is accepted and dropped. Messages an agent sends while handling a
 * message get ids derived from that message's id ({@link #derivedId}), so when a crash makes an agent
 * handle a message again from its last checkpoint, what it sends again carries the same ids and is
 * dropped as a duplicate by its receivers.
 */
public final class Ledger {

    private record Key(String receiver, String id) {
    }

    private final Storage storage;
    private final CommitQueue commits;
    private final Serializer wire;
    private final Duration dedupWindow;
    private final Clock clock;
    private final Set<Key> pending = ConcurrentHashMap.newKeySet();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder stored = new LongAdder();
    private final LongAdder completedCount = new LongAdder();

    /**
     * Creates the ledger.
     *
     * @param storage     the store (its outbox and handled ids)
     * @param commits     the group commit every write goes through
     * @param wire        the serializer envelopes are stored in
     * @param dedupWindow how long a handled id is remembered
     * @param clock       the clock for stored times
     */
    public Ledger(Storage storage, CommitQueue commits, Serializer wire, Duration dedupWindow, Clock clock) {
        this.storage = storage;
        this.commits = commits;
        this.wire = wire;
        this.dedupWindow = dedupWindow;
        this.clock = clock;
    }

    /**
     * Takes a message for an agent into the outbox, unless it is a duplicate. The write is queued,
     * not awaited: whoever reports acceptance to a client awaits {@link #sync()} first.
     *
     * @param receiver the receiving agent
     * @param e        the message, its id set
     * @return false when it is a duplicate (pending or handled already): accept it and drop it
     */
    public boolean admit(String receiver, Envelope e) {
        Key k = new Key(receiver, e.messageId());
        if (!pending.add(k)) {
            duplicates.increment();
            return false;
        }
        if (storage.handled().contains(receiver, e.messageId())) {
            pending.remove(k);
            duplicates.increment();
            return false;
        }
        byte[] bytes;
        try {
            bytes = wire.encode(e);
        } catch (SerializationException ex) {
            // Routing validated the envelope already; one the wire format cannot hold is delivered
            // without the guarantee rather than refused.
            return true;
        }
        stored.increment();
        commits.submit(List.of(new StorageWrite.OutboxAdd(
                new StoredMessage(e.messageId(), receiver, bytes, "", 0, clock.instant()))));
        return true;
    }

    /**
     * Takes back a message the mailbox refused after {@link #admit}: its sender was told no.
     *
     * @param receiver the receiving agent
     * @param e        the message
     */
    public void refused(String receiver, Envelope e) {
        commits.submit(List.of(new StorageWrite.OutboxRemove(receiver, e.messageId())))
                .whenComplete((v, t) -> pending.remove(new Key(receiver, e.messageId())));
    }

    /**
     * Marks a message recovered from the outbox as pending again (it is stored already).
     *
     * @param receiver the receiving agent
     * @param id       the message id
     * @return false when it is pending already
     */
    public boolean readmit(String receiver, String id) {
        return pending.add(new Key(receiver, id));
    }

    /**
     * Completes a message: out of the outbox, remembered as handled, with the agent's checkpoint
     * writes in the same transaction.
     *
     * @param receiver   the agent that handled (or dead-lettered) it
     * @param messageId  the message id
     * @param checkpoint the agent's checkpoint writes, possibly empty
     * @return completes when stored
     */
    public CompletableFuture<Void> completed(String receiver, String messageId, List<StorageWrite> checkpoint) {
        List<StorageWrite> writes = new ArrayList<>(2 + checkpoint.size());
        writes.add(new StorageWrite.OutboxRemove(receiver, messageId));
        writes.add(new StorageWrite.MarkHandled(receiver, messageId, clock.instant()));
        writes.addAll(checkpoint);
        completedCount.increment();
        Key k = new Key(receiver, messageId);
        // The id stays pending until the handled mark is stored, so no duplicate slips in between.
        return commits.submit(writes).whenComplete((v, t) -> pending.remove(k));
    }

    /**
     * Leaves a message in the outbox for the next start (the node stops before handling it).
     *
     * @param receiver the agent
     * @param messageId the message id
     */
    public void leftForRestart(String receiver, String messageId) {
        pending.remove(new Key(receiver, messageId));
    }

    /**
     * Writes that do not complete a message (a checkpoint dropped at a reload).
     *
     * @param writes the writes
     * @return completes when stored
     */
    public CompletableFuture<Void> write(List<StorageWrite> writes) {
        return commits.submit(writes);
    }

    /**
     * A barrier: completes when every write queued before it is stored.
     *
     * @return the barrier
     */
    public CompletableFuture<Void> sync() {
        return commits.flush();
    }

    /** @return the dedup window */
    public Duration dedupWindow() {
        return dedupWindow;
    }

    /** @return messages accepted and dropped as duplicates */
    public long duplicates() {
        return duplicates.sum();
    }

    /** @return messages written to the outbox since start */
    public long stored() {
        return stored.sum();
    }

    /** @return messages completed since start */
    public long completedCount() {
        return completedCount.sum();
    }

    /** @return messages pending (in mailboxes or being handled) */
    public int pendingCount() {
        return pending.size();
    }

    /** @return the group commit */
    public CommitQueue commits() {
        return commits;
    }

    /**
     * The id of the {@code index}-th message an agent sends while handling a message: the same
     * inputs give the same id, so a message handled again after a crash sends the same ids again.
     *
     * @param agent    the sending agent
     * @param parentId the id of the message being handled
     * @param index    0 for the first message sent while handling it
     * @return the id
     */
    public static String derivedId(String agent, String parentId, int index) {
        MessageDigest md = DIGEST.get();
        md.reset();
        md.update(agent.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(parentId.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(Integer.toString(index).getBytes(StandardCharsets.US_ASCII));
        byte[] h = md.digest();
        long a = 0;
        long b = 0;
        for (int i = 0; i < 8; i++) {
            a = (a << 8) | (h[i] & 0xFF);
            b = (b << 8) | (h[8 + i] & 0xFF);
        }
        return "r-" + Long.toUnsignedString(a, 36) + Long.toUnsignedString(b, 36);
    }

    private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    });

    /**
     * The SHA-256 of a module, in hex: what a checkpoint records its module by.
     *
     * @param module the binary
     * @return the digest
     */
    public static String digest(byte[] module) {
        MessageDigest md = DIGEST.get();
        md.reset();
        return java.util.HexFormat.of().formatHex(md.digest(module));
    }

    /**
     * The cutoff for handled ids now.
     *
     * @return ids marked before this may be forgotten
     */
    public Instant dedupCutoff() {
        return clock.instant().minus(dedupWindow);
    }
}
