package dev.caxton.server;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.DeadLetter;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.metrics.Histogram;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /api/v1/diagnostics}: the live figures the CLI's {@code performance diagnose} and
 * {@code memory analyze} judge that no other endpoint shows: the JVM's heap and collectors, the
 * configured queue capacities, and the recent dead letters grouped by reason. The judging itself
 * happens in the CLI, so its thresholds can change without touching the node.
 */
final class Diagnostics {

    /** How many of the newest dead letters are grouped by reason. */
    static final int DEAD_LETTER_SAMPLE = 1000;

    private Diagnostics() {
    }

    static Map<String, Object> snapshot(CaxtonNode node) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", node.config().string("server.node_name"));
        m.put("jvm", jvm());
        CaxtonConfig c = node.config();
        Map<String, Object> queues = new LinkedHashMap<>();
        queues.put("queue_size", c.integer("messaging.queue_size"));
        Map<String, Object> classes = new LinkedHashMap<>();
        for (String p : List.of("critical", "high", "normal", "low")) {
            classes.put(p, c.integer("messaging.priorities." + p + ".queue_size"));
        }
        queues.put("priorities", classes);
        m.put("queues", queues);
        List<DeadLetter> recent = node.deadLetters(DEAD_LETTER_SAMPLE);
        Map<String, Long> byReason = new TreeMap<>();
        for (DeadLetter d : recent) {
            byReason.merge(reasonKind(d.reason()), 1L, Long::sum);
        }
        Map<String, Object> dl = new LinkedHashMap<>();
        dl.put("total", node.deadLetterCount());
        dl.put("sampled", recent.size());
        dl.put("by_reason", byReason);
        m.put("dead_letters", dl);
        m.put("latency", latency(node));
        return m;
    }

    /**
     * The node-wide message processing histogram as cumulative counts per bucket, so a client that
     * reads it twice computes percentiles over the time between (as {@code caxton top} does for its
     * p99) without scraping the metrics endpoint, which may be on another port or turned off.
     */
    private static Map<String, Object> latency(CaxtonNode node) {
        Histogram.Snapshot h = node.metrics().processing().snapshot();
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("count", h.count());
        p.put("sum_seconds", h.sumSeconds());
        List<Double> bounds = new ArrayList<>(h.bounds().length);
        for (double b : h.bounds()) {
            bounds.add(b);
        }
        p.put("bounds_seconds", bounds);
        List<Long> cumulative = new ArrayList<>(h.cumulative().length);
        for (long c : h.cumulative()) {
            cumulative.add(c);
        }
        p.put("cumulative", cumulative);
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("message_processing", p);
        return l;
    }

    /**
     * The kind of a dead-letter reason: the text before its first colon or parenthesis, with quoted
     * names replaced, so "agent 'a' failed (last fault: ...)" and the same for 'b' count together.
     */
    static String reasonKind(String reason) {
        if (reason == null) {
            return "unknown";
        }
        String s = reason.replaceAll("'[^']*'", "*");
        int cut = s.length();
        for (char ch : new char[] {':', '(', ';'}) {
            int i = s.indexOf(ch);
            if (i > 0 && i < cut) {
                cut = i;
            }
        }
        s = s.substring(0, cut).trim();
        return s.isEmpty() ? "unknown" : s;
    }

    private static Map<String, Object> jvm() {
        Map<String, Object> j = new LinkedHashMap<>();
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        MemoryUsage heap = mem.getHeapMemoryUsage();
        j.put("heap_used_bytes", heap.getUsed());
        j.put("heap_committed_bytes", heap.getCommitted());
        j.put("heap_max_bytes", heap.getMax());
        j.put("non_heap_used_bytes", mem.getNonHeapMemoryUsage().getUsed());
        List<Map<String, Object>> gcs = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("name", gc.getName());
            g.put("count", gc.getCollectionCount());
            g.put("time_ms", gc.getCollectionTime());
            gcs.add(g);
        }
        j.put("gc", gcs);
        j.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        j.put("available_processors", Runtime.getRuntime().availableProcessors());
        j.put("uptime_ms", ManagementFactory.getRuntimeMXBean().getUptime());
        return j;
    }
}
