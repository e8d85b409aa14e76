package dev.caxton.runtime;

import dev.caxton.runtime.routing.RouteListener;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.storage.ConversationEntry;
import dev.caxton.spi.storage.ConversationStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records every delivered message that carries a {@code conversation_id} into the store's
 * conversation history, off the routing path: messages are queued (bounded by
 * {@code messaging.queue_size}) and a writer thread stores them in batches of
 * {@code messaging.batch_size}, one transaction each. Conversations idle longer than
 * {@code messaging.conversation_ttl} are closed and forgotten.
 *
 * <p>Each conversation holds at most {@code messaging.conversation_max_messages} entries. Past that
 * the newest are refused, not the oldest dropped: the beginning of a runaway conversation is what
 * tells an operator how it started, refusing costs nothing while dropping would turn every append
 * into a delete, and the omitted messages were still delivered (and are counted, and logged once).
 */
final class ConversationJournal implements RouteListener, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ConversationJournal.class.getName());
    /** Conversations whose entry count is kept in memory; others are counted by the store again. */
    private static final int COUNT_CACHE = 10_000;

    private final ConversationStore store;
    private final Serializer serializer;
    private final int batchSize;
    private final Duration ttl;
    private final long maxPerConversation;
    // Entries each conversation holds, as far as this journal knows: loaded from the store on first
    // sight, then kept up to date. Only the writer thread touches it; access order makes it an LRU.
    private final Map<String, Long> counts = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > COUNT_CACHE;
        }
    };
    // Messages left out of each capped conversation (read by the API, written by the writer).
    private final Map<String, Long> omitted = new ConcurrentHashMap<>();
    private final AtomicLong omittedTotal = new AtomicLong();
    private final BlockingQueue<Pending> queue;
    private final Thread writer;
    private final AtomicLong enqueued = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private volatile boolean running = true;
    private long nextSweep;

    private record Pending(Envelope envelope, Instant at) {
    }

    ConversationJournal(ConversationStore store, Serializer serializer, int capacity, int batchSize, Duration ttl,
                        long maxPerConversation) {
        this.maxPerConversation = maxPerConversation;
        this.store = store;
        this.serializer = serializer;
        this.batchSize = batchSize;
        this.ttl = ttl;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.nextSweep = System.nanoTime();
        this.writer = Thread.ofPlatform().daemon().name("caxton-conversations").start(this::run);
    }

    @Override
    public void delivered(Envelope e) {
        if (e.conversationId() == null) {
            return;
        }
        enqueued.incrementAndGet();
        try {
            // Bounded: when the store falls this far behind, routing waits for it rather than
            // memory growing or history silently missing messages.
            queue.put(new Pending(e, Instant.now()));
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            enqueued.decrementAndGet();
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(batchSize);
        while (running || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, batchSize - 1);
                    write(batch);
                    batch.clear();
                }
                sweepIfDue();
            } catch (InterruptedException e) {
                if (!running) {
                    queue.drainTo(batch);
                    write(batch);
                    return;
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "conversation history could not be written: {0}", e.toString());
                written.addAndGet(batch.size());
                batch.clear();
            }
        }
    }

    private void write(List<Pending> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<ConversationEntry> entries = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            Envelope e = p.envelope();
            if (!admit(e.conversationId())) {
                continue;
            }
            byte[] bytes;
            try {
                bytes = serializer.encode(e);
            } catch (SerializationException ex) {
                bytes = new byte[0];
            }
            entries.add(new ConversationEntry(e.conversationId(), 0, e.messageId(), e.sender(), e.receiver(),
                    e.performative().wireName(), bytes, p.at()));
        }
        if (!entries.isEmpty()) {
            try {
                store.appendAll(entries);
            } catch (RuntimeException ex) {
                // What this batch added to the counts was never stored: count again from the store.
                counts.clear();
                throw ex;
            }
        }
        written.addAndGet(batch.size());
    }

    /** Whether one more entry fits its conversation; counts it if so, counts it as omitted if not. */
    private boolean admit(String conversationId) {
        Long known = counts.get(conversationId);
        long n = known != null ? known : store.count(conversationId);
        if (n >= maxPerConversation) {
            counts.put(conversationId, n);
            omittedTotal.incrementAndGet();
            if (omitted.merge(conversationId, 1L, Long::sum) == 1L) {
                LOG.log(System.Logger.Level.WARNING, "conversation {0} reached messaging.conversation_max_messages ({1}):"
                        + " its further messages are delivered but not journalled", conversationId, maxPerConversation);
            }
            return false;
        }
        counts.put(conversationId, n + 1);
        return true;
    }

    /**
     * How many messages of a conversation were delivered but not journalled because it was full.
     *
     * @param conversationId the conversation
     * @return the count since this node started (0 when none)
     */
    long omitted(String conversationId) {
        return omitted.getOrDefault(conversationId, 0L);
    }

    /** @return messages not journalled because their conversation was full, since start */
    long omittedTotal() {
        return omittedTotal.get();
    }

    private void sweepIfDue() {
        long now = System.nanoTime();
        if (now < nextSweep) {
            return;
        }
        nextSweep = now + Math.min(ttl.toNanos() / 10, TimeUnit.MINUTES.toNanos(1));
        int removed = store.removeIdleSince(Instant.now().minus(ttl));
        if (removed > 0) {
            // Closed conversations start again from nothing; which ones is the store's business,
            // so every count is read again (and the omissions of closed ones are forgotten).
            counts.clear();
            omitted.keySet().removeIf(id -> store.count(id) == 0);
            LOG.log(System.Logger.Level.INFO, "closed {0} conversations idle for over {1}s", removed, ttl.toSeconds());
        }
    }

    /**
     * Waits until everything delivered so far is written, so a trace read right after a message
     * shows it.
     *
     * @param timeout the longest wait
     */
    void awaitWritten(Duration timeout) {
        long target = enqueued.get();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (written.get() < target && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        writer.interrupt();
        try {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
