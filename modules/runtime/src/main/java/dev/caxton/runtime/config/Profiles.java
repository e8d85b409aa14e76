package dev.caxton.runtime.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tuning profiles: named sets of configuration values chosen by {@code server.profile} (or
 * {@code caxton server start --profile NAME}). A profile only changes keys that were not written:
 * a value in the file or a {@code caxton.*} system property ({@code CAXTON_OPTS}) wins over the
 * profile key by key, and the profile wins over the built-in defaults.
 *
 * <p>Every value is an ordinary key of {@link ConfigSchema}, checked against its range like a value
 * in the file; the table in {@code docs/performance.md} says why each was chosen.
 */
public final class Profiles {

    /** The key that names the profile. */
    public static final String KEY = "server.profile";

    /** The profile that changes nothing. */
    public static final String NONE = "none";

    private static final Map<String, Map<String, String>> PRESETS = presets();

    private Profiles() {
    }

    private static Map<String, Map<String, String>> presets() {
        Map<String, Map<String, String>> p = new LinkedHashMap<>();
        // Bigger batches and queues trade a little latency and memory for messages per second;
        // compression pays on the wire between nodes; tracing keeps a small sample.
        p.put("high-throughput", ordered(
                "messaging.batch_size", "1000",
                "messaging.queue_size", "100000",
                "messaging.priorities.normal.queue_size", "10000",
                "messaging.priorities.low.queue_size", "20000",
                "storage.batch_size", "4096",
                "storage.batch_linger", "5ms",
                "messaging.enable_compression", "true",
                "runtime.module_cache_size", "256",
                "observability.tracing.sample_rate", "0.01"));
        // No batching and no waiting for company: each message and each write goes at once;
        // nothing is compressed; tracing keeps a small sample so it costs almost nothing per message.
        p.put("low-latency", ordered(
                "messaging.batch_size", "1",
                "storage.batch_size", "64",
                "storage.batch_linger", "0ms",
                "messaging.enable_compression", "false",
                "observability.tracing.sample_rate", "0.01",
                // A message queued for an idle agent waits behind each busy agent's turn: 4 messages
                // of it instead of 32.
                "runtime.scheduler.throughput", "4"));
        // Small queues, small agents, a small module cache and trace buffer; compress more of what
        // crosses the wire.
        p.put("memory-optimized", ordered(
                "messaging.queue_size", "2000",
                "messaging.priorities.critical.queue_size", "50",
                "messaging.priorities.high.queue_size", "100",
                "messaging.priorities.normal.queue_size", "200",
                "messaging.priorities.low.queue_size", "400",
                "agents.default_limits.memory", "4MB",
                "runtime.module_cache_size", "8",
                "storage.batch_size", "128",
                "messaging.enable_compression", "true",
                "messaging.compression_threshold", "256B",
                "observability.tracing.buffer_size", "1000",
                "observability.metrics_max_agent_series", "200",
                // Each compensating worker is a platform thread with its own stack: bound them lower.
                "runtime.scheduler.max_compensation", "8"));
        return Map.copyOf(p);
    }

    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /** @return the profile names a user may choose, {@code none} first */
    public static List<String> names() {
        return List.of(NONE, "high-throughput", "low-latency", "memory-optimized");
    }

    /**
     * The values a profile sets.
     *
     * @param name a profile name
     * @return its keys and raw values, in a stable order (empty for {@code none})
     * @throws IllegalArgumentException naming the choices when there is no such profile
     */
    public static Map<String, String> values(String name) {
        if (NONE.equals(name)) {
            return Map.of();
        }
        Map<String, String> v = PRESETS.get(name);
        if (v == null) {
            throw new IllegalArgumentException("unknown profile '" + name + "'; choose one of " + String.join(", ", names()));
        }
        return v;
    }
}
