package dev.caxton.runtime.cluster;

import dev.caxton.spi.storage.ConversationEntry;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Reads a conversation across nodes: each node journals the messages it delivered, so the whole of
 * a conversation is the union of every node's journal. The node asked by a client sends a query
 * frame to every live peer, waits for their pages (at most a timeout), and merges them with its
 * own page in time order.
 *
 * <h2>Frames (after the cluster type byte)</h2>
 * <ul>
 *   <li>query: a number the asker picked (long), the conversation id (short length + UTF-8), the
 *       sequence to go on after (long), the most entries wanted (int);</li>
 *   <li>page: the number, found (byte 0/1), the node's total, first and last times (epoch ms),
 *       omitted count (longs), the entry count (int), then per entry its sequence and time (longs),
 *       message id, sender, receiver, performative (short length + UTF-8 each) and the envelope
 *       (int length + bytes in the node's serializer).</li>
 * </ul>
 * A page never exceeds {@link #MAX_PAGE_BYTES} (nor the transport's frame limit): entries that do
 * not fit are left for the next page, which the cursor makes seamless.
 *
 * <h2>The cursor</h2>
 * One position per node: {@code A:12,B:5} means "after A's 12th and B's 5th journalled message".
 * A page takes, from every node's entries after its position, the oldest {@code limit} in time order
 * (ties broken by node name, then sequence), and the next cursor moves each node's position past
 * what the page took. Pages therefore never repeat or skip a message, whatever the nodes' clocks.
 */
public final class ClusterConversations {

    private static final System.Logger LOG = System.getLogger(ClusterConversations.class.getName());
    /** Largest page frame a node sends, whatever the transport would take. */
    static final int MAX_PAGE_BYTES = 4 * 1024 * 1024;
    /** Most queries awaiting pages at once; past it a read asks no peer and says so. */
    static final int MAX_WAITING = 1000;

    /**
     * One node's part of a conversation page.
     *
     * @param total   messages the node journalled in it (sequences 1..total)
     * @param first   the time of its first message
     * @param last    the time of its newest message
     * @param omitted messages it delivered but did not journal (past conversation_max_messages)
     * @param entries entries after the asked position, in sequence order
     */
    public record Page(long total, Instant first, Instant last, long omitted, List<ConversationEntry> entries) {
        /** Copies the list. */
        public Page {
            entries = List.copyOf(entries);
        }
    }

    /** This node's journal, read a page at a time. */
    @FunctionalInterface
    public interface Journal {
        /**
         * A page of this node's part of a conversation.
         *
         * @param id    the conversation
         * @param after the sequence to go on after
         * @param limit the most entries
         * @return the page, or null when this node has no message of it
         */
        Page page(String id, long after, int limit);
    }

    /**
     * What the nodes answered.
     *
     * @param pages      per node that knows the conversation (this node included), its page
     * @param incomplete nodes that were asked and did not answer in time (or could not be asked)
     */
    public record Answers(Map<String, Page> pages, List<String> incomplete) {
    }

    private final String self;
    private final PeerLinks links;
    private final byte queryType;
    private final byte pageType;
    private final PeerQueries<Page> queries;
    private volatile Journal journal = (id, after, limit) -> null;

    /** A page of a node that has no message of the conversation. */
    private static final Page NONE = new Page(0, Instant.EPOCH, Instant.EPOCH, 0, List.of());

    ClusterConversations(String self, PeerLinks links, byte queryType, byte pageType) {
        this.self = self;
        this.links = links;
        this.queryType = queryType;
        this.pageType = pageType;
        this.queries = new PeerQueries<>(links, MAX_WAITING, "conversation page");
    }

    /**
     * Sets where this node reads its own journal (for its answers and its own part).
     *
     * @param j the journal
     */
    public void journal(Journal j) {
        this.journal = j;
    }

    /**
     * Reads this node's page and asks every peer for theirs, in parallel, waiting at most
     * {@code timeout} in all.
     *
     * @param peers   the live peers
     * @param id      the conversation
     * @param after   per node, the sequence to go on after (absent: the start)
     * @param limit   the most entries wanted from each node
     * @param timeout the longest wait for the peers
     * @return the pages and the peers that did not answer
     */
    public Answers ask(List<String> peers, String id, Map<String, Long> after, int limit, Duration timeout) {
        List<String> incomplete = new ArrayList<>();
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        Map<String, CompletableFuture<Page>> asked;
        if (idBytes.length > Short.MAX_VALUE) {
            incomplete.addAll(peers);
            asked = Map.of();
        } else {
            asked = queries.ask(peers, (peer, n) -> ByteBuffer.allocate(1 + 8 + 2 + idBytes.length + 8 + 4)
                    .put(queryType).putLong(n).putShort((short) idBytes.length).put(idBytes)
                    .putLong(after.getOrDefault(peer, 0L)).putInt(limit).array(), incomplete);
        }
        Map<String, Page> pages = new TreeMap<>();
        Page mine = journal.page(id, after.getOrDefault(self, 0L), limit);
        if (mine != null) {
            pages.put(self, mine);
        }
        queries.await(asked, timeout, incomplete).forEach((peer, p) -> {
            if (p != NONE) {
                pages.put(peer, p);
            }
        });
        return new Answers(pages, List.copyOf(incomplete));
    }

    /** @return queries still waiting for a peer's page (none once every read has ended) */
    int waitingCount() {
        return queries.waitingCount();
    }

    // ---------------------------------------------------------------- frames in

    void onQuery(String from, ByteBuffer frame) {
        if (frame.remaining() < 8 + 2 + 8 + 4) {
            links.rejected(from, "conversation query too short");
            return;
        }
        long n = frame.getLong();
        int len = frame.getShort() & 0xffff;
        if (len == 0 || len > 1024 || frame.remaining() != len + 12) {
            links.rejected(from, "conversation query malformed");
            return;
        }
        byte[] id = new byte[len];
        frame.get(id);
        long after = frame.getLong();
        int limit = frame.getInt();
        if (after < 0 || limit < 1 || limit > dev.caxton.runtime.Conversation.MAX_PAGE + 1) {
            links.rejected(from, "conversation query out of range");
            return;
        }
        Page p;
        try {
            p = journal.page(new String(id, StandardCharsets.UTF_8), after, limit);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cluster: reading a conversation for node {0} failed: {1}", from, e.toString());
            p = null;
        }
        links.sendCluster(from, pageFrame(n, p, Math.min(MAX_PAGE_BYTES, links.maxClusterFrameBytes())));
    }

    byte[] pageFrame(long n, Page p, int maxBytes) {
        ByteBuffer head = ByteBuffer.allocate(1 + 8 + 1 + 8 * 4 + 4);
        head.put(pageType).putLong(n).put((byte) (p == null ? 0 : 1));
        List<byte[]> entries = new ArrayList<>();
        int size = head.capacity();
        if (p != null) {
            head.putLong(p.total()).putLong(p.first().toEpochMilli()).putLong(p.last().toEpochMilli()).putLong(p.omitted());
            for (ConversationEntry e : p.entries()) {
                byte[] one = entry(e);
                if (size + one.length > maxBytes) {
                    break;  // the rest comes with the next page
                }
                entries.add(one);
                size += one.length;
            }
        } else {
            head.putLong(0).putLong(0).putLong(0).putLong(0);
        }
        head.putInt(entries.size());
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put(head.array());
        entries.forEach(out::put);
        return out.array();
    }

    private static byte[] entry(ConversationEntry e) {
        byte[][] strings = {utf8(e.messageId()), utf8(e.sender()), utf8(e.receiver()), utf8(e.performative())};
        int size = 16 + 4 + e.envelope().length;
        for (byte[] s : strings) {
            size += 2 + s.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putLong(e.sequence()).putLong(e.at().toEpochMilli());
        for (byte[] s : strings) {
            b.putShort((short) s.length).put(s);
        }
        b.putInt(e.envelope().length).put(e.envelope());
        return b.array();
    }

    static byte[] utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        // Names and ids are bounded far below this; a longer one is cut rather than corrupt the frame.
        return b.length > Short.MAX_VALUE ? java.util.Arrays.copyOf(b, Short.MAX_VALUE) : b;
    }

    void onPage(String from, ByteBuffer frame) {
        queries.onAnswer(from, frame, 8 + 1 + 32 + 4, ClusterConversations::parsePage);
    }

    static Page parsePage(ByteBuffer frame) {
        boolean found = frame.get() == 1;
        long total = frame.getLong();
        long first = frame.getLong();
        long last = frame.getLong();
        long omitted = frame.getLong();
        int count = frame.getInt();
        if (!found) {
            return NONE;
        }
        if (count < 0 || count > dev.caxton.runtime.Conversation.MAX_PAGE + 1 || total < 0) {
            throw new IllegalArgumentException("entry count " + count + " out of range");
        }
        List<ConversationEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long seq = frame.getLong();
            long at = frame.getLong();
            String mid = string(frame);
            String sender = string(frame);
            String receiver = string(frame);
            String performative = string(frame);
            int len = frame.getInt();
            if (len < 0 || len > frame.remaining()) {
                throw new IllegalArgumentException("envelope length " + len + " out of range");
            }
            byte[] env = new byte[len];
            frame.get(env);
            entries.add(new ConversationEntry("-", seq, mid, sender, receiver, performative, env, Instant.ofEpochMilli(at)));
        }
        if (frame.hasRemaining()) {
            throw new IllegalArgumentException(frame.remaining() + " bytes after the last entry");
        }
        return new Page(total, Instant.ofEpochMilli(first), Instant.ofEpochMilli(last), omitted, entries);
    }

    static String string(ByteBuffer b) {
        int len = b.getShort() & 0xffff;
        if (len > b.remaining()) {
            throw new IllegalArgumentException("string length " + len + " out of range");
        }
        byte[] s = new byte[len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- cursor and merge

    /**
     * Reads a cluster cursor ({@code A:12,B:5}); a plain number is this node's position (the cursor
     * a node hands out while it has no peers).
     *
     * @param cursor the cursor, or null/empty for the start
     * @return per node, the sequence to go on after; null when the cursor is not valid
     */
    public Map<String, Long> parseCursor(String cursor) {
        Map<String, Long> out = new TreeMap<>();
        if (cursor == null || cursor.isEmpty()) {
            return out;
        }
        try {
            if (cursor.chars().allMatch(Character::isDigit)) {
                out.put(self, Long.parseLong(cursor));
                return out;
            }
            for (String part : cursor.split(",", 1000)) {
                int colon = part.lastIndexOf(':');
                if (colon <= 0) {
                    return null;
                }
                String node = part.substring(0, colon);
                long seq = Long.parseLong(part.substring(colon + 1));
                if (seq < 0 || !dev.caxton.runtime.config.ConfigSchema.NAME.matcher(node).matches()
                        || out.put(node, seq) != null) {
                    return null;
                }
            }
            return out;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * A merged page: the oldest {@code limit} entries of all pages in time order.
     *
     * @param taken  the entries, each with its node
     * @param cursor the next cursor, or null when no node has more
     */
    public record Merged(List<Map.Entry<String, ConversationEntry>> taken, String cursor) {
    }

    /**
     * Merges the nodes' pages.
     *
     * @param pages per node, its page (entries after its position)
     * @param after the positions the pages started from
     * @param limit the most entries in the result
     * @return the entries and the next cursor
     */
    public static Merged merge(Map<String, Page> pages, Map<String, Long> after, int limit) {
        Map<String, Long> position = new TreeMap<>(after);
        Map<String, Integer> head = new TreeMap<>();
        pages.keySet().forEach(n -> head.put(n, 0));
        List<Map.Entry<String, ConversationEntry>> taken = new ArrayList<>();
        while (taken.size() < limit) {
            String best = null;
            ConversationEntry bestEntry = null;
            for (Map.Entry<String, Integer> h : head.entrySet()) {
                List<ConversationEntry> list = pages.get(h.getKey()).entries();
                if (h.getValue() < list.size()) {
                    ConversationEntry e = list.get(h.getValue());
                    // Ties keep node name order (head is sorted), so every read of a cursor agrees.
                    if (bestEntry == null || e.at().isBefore(bestEntry.at())) {
                        best = h.getKey();
                        bestEntry = e;
                    }
                }
            }
            if (best == null) {
                break;
            }
            head.merge(best, 1, Integer::sum);
            position.put(best, bestEntry.sequence());
            taken.add(Map.entry(best, bestEntry));
        }
        boolean more = false;
        for (Map.Entry<String, Page> p : pages.entrySet()) {
            if (position.getOrDefault(p.getKey(), 0L) < p.getValue().total()) {
                more = true;
            }
        }
        if (!more) {
            return new Merged(taken, null);
        }
        StringBuilder c = new StringBuilder();
        position.forEach((node, seq) -> c.append(c.isEmpty() ? "" : ",").append(node).append(':').append(seq));
        return new Merged(taken, c.toString());
    }
}
