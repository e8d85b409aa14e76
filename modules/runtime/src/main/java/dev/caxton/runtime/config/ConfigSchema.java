package dev.caxton.runtime.config;

import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ConfigOption.Type;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every key of {@code caxton.yaml} that the core reads, with its type, default, range and meaning.
 * Provider sections ({@code storage.sqlite}, {@code runtime.chicory}...) are declared by the
 * providers themselves through {@link dev.caxton.spi.Provider#options()}.
 *
 * <p>This list is the single source of truth: the loader rejects keys missing from it, the
 * defaults come from it, and {@code docs/configuration.md} documents exactly these keys.
 */
public final class ConfigSchema {

    /** Sections that hold keys or other sections. */
    public static final Set<String> SECTIONS = Set.of("server", "runtime", "messaging", "coordination",
            "coordination.cluster", "coordination.partition", "transport", "storage", "agents", "agents.default_limits", "observability",
            "observability.logging", "observability.tracing",
            "security", "security.cluster", "messaging.priorities", "messaging.priorities.critical", "messaging.priorities.high",
            "messaging.priorities.normal", "messaging.priorities.low",
            "security.rate_limiting", "server.tls",
            "runtime.instance_pool",
            "fipa", "fipa.http_mtp", "fipa.http_mtp.tls", "runtime.scheduler");

    /**
     * What an agent or node name may be: 1 to 128 letters, digits, '.', '_' or '-', starting with a
     * letter or digit. Names travel in envelopes, message ids, logs and metrics labels, so quotes,
     * control characters and spaces are kept out of them.
     */
    public static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}");

    /** How {@link #NAME} is explained in error messages. */
    public static final String NAME_RULE = "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit";

    /** The section whose keys are FIPA platform names, each holding that platform's MTP address (a URL). */
    public static final String FIPA_PLATFORMS = "fipa.platforms";

    /** The section whose keys are agent names, each holding limit overrides. */
    public static final String OVERRIDES = "agents.overrides";

    private static final long MB = 1L << 20;
    private static final long DAY_MS = 86_400_000L;

    /** The core keys by full dotted name. */
    public static final Map<String, ConfigOption> OPTIONS = build(List.of(
            // server
            ConfigOption.of("server.host", Type.STRING, "127.0.0.1",
                    "Address the management API listens on. Keep it on loopback unless a proxy with TLS fronts it."),
            ConfigOption.ranged("server.port", Type.INTEGER, "8080",
                    "Port of the management API (0 picks a free port, printed at startup).", 0, 65535),
            ConfigOption.ranged("server.metrics_port", Type.INTEGER, "9090",
                    "Port of the Prometheus metrics endpoint (GET /metrics); 0 picks a free port.", 0, 65535),
            ConfigOption.of("server.metrics_enabled", Type.BOOLEAN, "true",
                    "Whether to serve Prometheus metrics at all."),
            ConfigOption.of("server.data_dir", Type.PATH, "./data",
                    "Where the node keeps its token, database and caches; relative to the working directory."),
            ConfigOption.of("server.node_name", Type.STRING, "node-1",
                    "This node's name in logs, metrics and the cluster."),
            ConfigOption.oneOf("server.profile", "none",
                    "A tuning profile whose values apply to every key not written in the file or a caxton.* property "
                            + "(docs/performance.md lists them).",
                    "none", "high-throughput", "low-latency", "memory-optimized"),
            ConfigOption.ranged("server.shutdown_timeout", Type.DURATION, "30s",
                    "How long a graceful shutdown (SIGTERM) waits for agents to drain their mailboxes.", 0, DAY_MS),
            ConfigOption.ranged("server.max_request_size", Type.SIZE, "32MB",
                    "Largest request body the API accepts (a deployed module travels base64-encoded in it).",
                    1024, 1L << 30),
            ConfigOption.ranged("server.max_waiting_requests", Type.INTEGER, "1000",
                    "Most API requests (wait_ms) waiting for a reply at once; more are answered 503 with Retry-After.",
                    0, 1_000_000),
            ConfigOption.ranged("server.max_connections", Type.INTEGER, "1000",
                    "Most connections open at once to the API (and, separately, to metrics); more are answered 503 and closed.",
                    1, 1_000_000),
            ConfigOption.ranged("server.request_timeout", Type.DURATION, "30s",
                    "How long a request may take to arrive in full (headers and body); a slower one is answered 408 and closed.",
                    10, DAY_MS),
            ConfigOption.ranged("server.idle_timeout", Type.DURATION, "60s",
                    "How long a keep-alive connection may stay open with no request in it before it is closed.",
                    10, DAY_MS),
            // runtime
            ConfigOption.of("runtime.engine", Type.STRING, "chicory",
                    "The WebAssembly engine provider every agent runs on unless deployed with another."),
            ConfigOption.ranged("runtime.max_agents", Type.INTEGER, "1000",
                    "Most agents this node hosts at once; a deploy past it is refused.", 1, 1_000_000),
            ConfigOption.ranged("runtime.module_cache_size", Type.INTEGER, "64",
                    "Compiled modules kept in memory, keyed by content hash, so redeploying a known module skips compilation.",
                    0, 100_000),
            ConfigOption.ranged("runtime.instance_pool.size", Type.INTEGER, "0",
                    "Never-used instances kept ready per cached module (and limits), so a deploy or a restart after a fault skips instantiation; 0 turns the pool off. WASI agents, Extism plugins and modules with a start function are never pooled. Idle instances are booked in runtime.memory_budget and closed when a deploy needs their room.",
                    0, 64),
            ConfigOption.of("runtime.instance_pool.prewarm", Type.BOOLEAN, "true",
                    "Fill a module's pool to runtime.instance_pool.size, in the background, as soon as it is first deployed; false adds one instance per deploy or restart instead."),
            ConfigOption.ranged("runtime.instance_pool.max_reuse", Type.INTEGER, "0",
                    "Messages a durable agent's instance handles before it is replaced by a fresh one with its checkpointed state; 0 never. Agents that are not durable are never recycled.",
                    0, 1_000_000_000),
            ConfigOption.ranged("runtime.instance_pool.recycle_age", Type.DURATION, "0s",
                    "Age after which a durable agent's instance is replaced by a fresh one with its checkpointed state, once its current message is done; 0s never.",
                    0, 30 * DAY_MS),
            ConfigOption.ranged("runtime.memory_budget", Type.SIZE, "0",
                    "Most bytes the memory limits of all agents may add up to; a deploy past it is refused (503). 0 derives it from the heap: half of the JVM's maximum heap (-Xmx).",
                    0, 1L << 50),
            ConfigOption.ranged("runtime.max_capabilities_per_agent", Type.INTEGER, "256",
                    "Most capabilities one agent may hold, granted at deploy and registered by register_capability together; past it register_capability returns -4.",
                    1, 100_000),
            ConfigOption.ranged("runtime.agent_log_rate", Type.INTEGER, "50",
                    "Lines a second one agent may log (its log calls and the warnings about its refused host calls); lines past it are dropped and counted in a 'suppressed N lines' line.",
                    1, 1_000_000),
            ConfigOption.ranged("runtime.agent_log_burst", Type.INTEGER, "200",
                    "Lines one agent may log at once after a quiet spell, before runtime.agent_log_rate applies.",
                    1, 1_000_000),
            ConfigOption.oneOf("runtime.scheduler.mode", "pool",
                    "How agents get threads: pool runs them as tasks on a few workers; thread gives each agent a platform thread and virtual a virtual thread (for comparison).",
                    "pool", "thread", "virtual"),
            ConfigOption.ranged("runtime.scheduler.workers", Type.INTEGER, "0",
                    "Worker threads of the pool (mode pool); 0 means one per available core.", 0, 1024),
            ConfigOption.ranged("runtime.scheduler.throughput", Type.INTEGER, "32",
                    "Messages one agent handles on a worker before the worker moves on to the next agent waiting (mode pool).",
                    1, 1_000_000),
            ConfigOption.ranged("runtime.scheduler.long_call_threshold", Type.DURATION, "100ms",
                    "How long one message may hold a worker before the pool counts the worker as taken by a long call and, while agents wait, adds a compensating worker.",
                    1, DAY_MS),
            ConfigOption.ranged("runtime.scheduler.max_compensation", Type.INTEGER, "64",
                    "Most compensating workers the pool adds at once for workers held by long calls; 0 adds none.",
                    0, 10_000),
            ConfigOption.oneOf("runtime.scheduler.affinity", "none",
                    "Whether pool workers are pinned to CPUs: none leaves them to the OS; spread pins worker i to the i-th CPU the process may use (Linux, through sched_setaffinity; elsewhere a warning and unpinned).",
                    "none", "spread"),
            // messaging
            ConfigOption.of("messaging.serializer", Type.STRING, "msgpack",
                    "The serializer provider for stored messages and node-to-node frames."),
            ConfigOption.ranged("messaging.max_message_size", Type.SIZE, "1MB",
                    "Largest encoded envelope accepted from the API or an agent.", 64, 64 * MB),
            ConfigOption.ranged("messaging.queue_size", Type.INTEGER, "10000",
                    "Most messages queued on the node at once, all mailboxes and pending retries together; past it senders are refused (API 429, ABI -3).",
                    1, 100_000_000),
            ConfigOption.ranged("messaging.delivery_timeout", Type.DURATION, "5s",
                    "How long the node keeps retrying a delivery it owns (a reply, a broadcast copy) into a full mailbox before dead-lettering it.",
                    0, DAY_MS),
            ConfigOption.ranged("messaging.message_ttl", Type.DURATION, "5m",
                    "How long a message may wait in a mailbox; one older when its turn comes is dead-lettered (reason: ttl expired).",
                    1, 30 * DAY_MS),
            ConfigOption.ranged("messaging.retry_attempts", Type.INTEGER, "3",
                    "Retries of a delivery that failed transiently (the receiver's mailbox was full); 0 dead-letters at the first failure.",
                    0, 100),
            ConfigOption.ranged("messaging.retry_delay", Type.DURATION, "1s",
                    "Wait before the first retry.", 1, DAY_MS),
            ConfigOption.ranged("messaging.retry_backoff", Type.INTEGER, "2",
                    "Factor each further retry's wait is multiplied by (1: constant delay).", 1, 100),
            ConfigOption.ranged("messaging.batch_size", Type.INTEGER, "100",
                    "Messages an agent takes from its mailbox at once, and conversation records written per transaction; 1 means no batching.",
                    1, 100_000),
            ConfigOption.of("messaging.enable_persistence", Type.BOOLEAN, "false",
                    "At-least-once delivery: every message an agent accepts is written to storage before acceptance is reported and removed when handled; after a crash the node delivers it again."),
            ConfigOption.ranged("messaging.dedup_window", Type.DURATION, "10m",
                    "With persistence, how long a handled message id is remembered per receiver; a message with that id arriving again (a resend, a client retry) is accepted and dropped.",
                    1000, 30 * DAY_MS),
            ConfigOption.ranged("messaging.dead_letter_ttl", Type.DURATION, "7d",
                    "How long dead letters are kept in storage before cleanup removes them.", 60_000, 3650 * DAY_MS),
            ConfigOption.ranged("messaging.conversation_ttl", Type.DURATION, "24h",
                    "A conversation with no message for this long is closed and its history forgotten.", 1000, 365 * DAY_MS),
            ConfigOption.ranged("messaging.max_hops", Type.INTEGER, "32",
                    "Longest chain of agent hand-offs a message may end: past it the message is dead-lettered (stops loops).",
                    1, 1000),
            ConfigOption.ranged("messaging.conversation_max_messages", Type.INTEGER, "10000",
                    "Most messages journalled per conversation; later ones are delivered but not journalled.",
                    1, 10_000_000),
            ConfigOption.ranged("messaging.priorities.critical.queue_size", Type.INTEGER, "100",
                    "Critical messages one agent's mailbox holds.", 1, 10_000_000),
            ConfigOption.ranged("messaging.priorities.critical.max_latency", Type.DURATION, "1s",
                    "A critical message waiting longer than this goes first (it always does: critical is the top class).", 1, DAY_MS),
            ConfigOption.ranged("messaging.priorities.high.queue_size", Type.INTEGER, "500",
                    "High-priority messages one agent's mailbox holds.", 1, 10_000_000),
            ConfigOption.ranged("messaging.priorities.high.max_latency", Type.DURATION, "5s",
                    "A high message waiting longer than this is served before newer critical ones.", 1, DAY_MS),
            ConfigOption.ranged("messaging.priorities.normal.queue_size", Type.INTEGER, "1000",
                    "Normal messages one agent's mailbox holds.", 1, 10_000_000),
            ConfigOption.ranged("messaging.priorities.normal.max_latency", Type.DURATION, "15s",
                    "A normal message waiting longer than this is served before newer critical and high ones.", 1, DAY_MS),
            ConfigOption.ranged("messaging.priorities.low.queue_size", Type.INTEGER, "2000",
                    "Low-priority messages one agent's mailbox holds.", 1, 10_000_000),
            ConfigOption.ranged("messaging.priorities.low.max_latency", Type.DURATION, "1m",
                    "A low message waiting longer than this is served before newer messages of every other class.", 1, DAY_MS),
            // coordination
            ConfigOption.of("coordination.cluster.membership", Type.STRING, "fixed",
                    "The membership provider; fixed with no nodes means a single node (static: deprecated name of fixed)."),
            ConfigOption.ranged("coordination.partition.quorum_size", Type.INTEGER, "0",
                    "Fewer alive members than this (this node included) means a partition, reported in health and metrics; 0 turns detection off.",
                    0, 100_000),
            ConfigOption.of("coordination.partition.degraded_mode", Type.BOOLEAN, "false",
                    "Keep the agents of a node judged dead addressable and hold messages for them until it is back (or messaging.message_ttl passes), instead of refusing them."),
            ConfigOption.of("coordination.cluster.seeds", Type.LIST, "[]",
                    "Membership addresses (host:port, a DNS name may stand for several nodes) of nodes to join through."),
            ConfigOption.ranged("coordination.cluster.directory_sync_interval", Type.DURATION, "5s",
                    "How often a node pulls every peer's full agent directory (heals missed deltas).", 100, DAY_MS),
            ConfigOption.ranged("coordination.cluster.route_back_size", Type.INTEGER, "65536",
                    "Most names of remote senders unknown to the directory (API clients on other nodes) remembered so replies find their node.",
                    16, 10_000_000),
            ConfigOption.ranged("coordination.cluster.route_back_ttl", Type.DURATION, "10m",
                    "How long a remembered remote sender's node is kept after its last message.", 1000, 7 * DAY_MS),
            ConfigOption.ranged("coordination.cluster.accept_timeout", Type.DURATION, "1s",
                    "How long an API send to an agent on another node waits for that node to accept or refuse it (429 on a full mailbox); 0 answers 202 at once.",
                    0, 60_000),
            ConfigOption.ranged("coordination.cluster.query_timeout", Type.DURATION, "2s",
                    "How long reading a conversation waits for the other nodes' parts; nodes that do not answer are named in 'incomplete'.",
                    1, 60_000),
            ConfigOption.of("messaging.prefer_local_capability", Type.BOOLEAN, "false",
                    "Capability messages go to a holder on this node when there is one, else round-robin over the cluster."),
            ConfigOption.of("messaging.enable_compression", Type.BOOLEAN, "false",
                    "Compress frames between nodes (LZ4, per frame, in the tcp and quic transports); receivers accept both."),
            ConfigOption.ranged("messaging.compression_threshold", Type.SIZE, "1KB",
                    "Frames smaller than this are sent uncompressed even with compression on.", 0, 1L << 30),
            // transport
            ConfigOption.of("transport.type", Type.STRING, "tcp",
                    "The transport provider between nodes; the node listens on transport.host:transport.port."),
            ConfigOption.of("transport.host", Type.STRING, "127.0.0.1", "Address the transport listens on."),
            ConfigOption.ranged("transport.port", Type.INTEGER, "7946", "Port the transport listens on.", 0, 65535),
            // storage
            ConfigOption.of("storage.type", Type.STRING, "sqlite",
                    "The storage provider: sqlite keeps everything in a file under the data directory, memory keeps nothing across restarts."),
            ConfigOption.ranged("storage.batch_size", Type.INTEGER, "512",
                    "Most writes the node gathers into one storage transaction (group commit).", 1, 1_000_000),
            ConfigOption.ranged("storage.batch_linger", Type.DURATION, "0ms",
                    "How long a transaction smaller than storage.batch_size waits for more writes; 0 commits what is queued at once.",
                    0, 1000),
            ConfigOption.ranged("storage.cleanup_interval", Type.DURATION, "1m",
                    "How often handled ids past messaging.dedup_window, dead letters past messaging.dead_letter_ttl and idle conversations are removed, in batches.",
                    1000, DAY_MS),
            // agents
            ConfigOption.of("agents.durable", Type.BOOLEAN, "false",
                    "Whether agents deployed without a durable setting checkpoint their state (memory and globals) after each message; needs messaging.enable_persistence."),
            ConfigOption.ranged("agents.default_limits.memory", Type.SIZE, "10MB",
                    "Most linear memory an agent may hold; memory.grow past it returns -1 to the agent.",
                    64 * 1024, 4L << 30),
            ConfigOption.ranged("agents.default_limits.execution_timeout", Type.DURATION, "5s",
                    "Longest one message may run before the agent is interrupted (the message is dead-lettered). 0 disables.",
                    0, DAY_MS),
            ConfigOption.ranged("agents.default_limits.fuel", Type.INTEGER, "0",
                    "Instructions one message may execute, on engines that meter fuel; 0 means unmetered.", 0, Long.MAX_VALUE),
            ConfigOption.ranged("agents.default_limits.cpu_share", Type.INTEGER, "100",
                    "Scheduling weight of an agent: on the pool scheduler its batch per turn is runtime.scheduler.throughput times this over 100.",
                    1, 1000),
            ConfigOption.ranged("agents.max_failures", Type.INTEGER, "5",
                    "Faults within agents.failure_window after which an agent is marked failed instead of restarted.",
                    1, 1_000_000),
            ConfigOption.ranged("agents.failure_window", Type.DURATION, "1m",
                    "The window agents.max_failures counts faults in.", 1, DAY_MS),
            // observability
            ConfigOption.oneOf("observability.log_level", "info",
                    "Least severe log level written to standard error.", "trace", "debug", "info", "warn", "error"),
            ConfigOption.ranged("observability.metrics_max_agent_series", Type.INTEGER, "1000",
                    "Most agents with series of their own in metrics; the rest are summed under agent=\"_other\".",
                    0, 1_000_000),
            ConfigOption.oneOf("observability.logging.format", "plain",
                    "How log lines are written to standard error: plain text or one JSON object per line.", "plain", "json"),
            ConfigOption.of("observability.tracing.enabled", Type.BOOLEAN, "false",
                    "Whether to sample client messages for tracing and record the hops of traced messages."),
            ConfigOption.of("observability.tracing.sample_rate", Type.STRING, "1.0",
                    "Share of client messages traced when tracing is on, a number from 0 to 1."),
            ConfigOption.ranged("observability.tracing.buffer_size", Type.INTEGER, "10000",
                    "Most trace hops kept in memory; the oldest are overwritten.", 1, 10_000_000),
            ConfigOption.of("observability.tracing.exporter", Type.STRING, "none",
                    "Trace exporter plugin the spans of traced messages are sent through (e.g. otlp); none exports nothing."),
            ConfigOption.ranged("observability.tracing.export_batch_size", Type.INTEGER, "512",
                    "Most spans the exporter sends in one request.", 1, 100_000),
            ConfigOption.ranged("observability.tracing.export_queue_size", Type.INTEGER, "8192",
                    "Most hops waiting for the exporter; past it hops are dropped (counted in caxton_trace_export_dropped_total), never waited for.",
                    1, 10_000_000),
            // security
            ConfigOption.of("security.token_file", Type.PATH, "api-token",
                    "File holding the API token, relative to the data directory; created (mode 0600) at first start."),
            ConfigOption.of("security.tokens_file", Type.STRING, "api-tokens",
                    "File of named API tokens with roles (hashes only), relative to the data directory; managed with 'caxton token'."),
            ConfigOption.of("security.rate_limiting.enabled", Type.BOOLEAN, "false",
                    "Whether API requests are rate limited per client address and per token (429 with Retry-After)."),
            ConfigOption.ranged("security.rate_limiting.requests_per_second", Type.INTEGER, "50",
                    "Sustained API requests per second allowed to one client address, and separately to one token.", 1, 1_000_000),
            ConfigOption.ranged("security.rate_limiting.burst", Type.INTEGER, "100",
                    "API requests one client address (or token) may make at once above the sustained rate.", 1, 1_000_000),
            ConfigOption.ranged("server.max_header_size", Type.SIZE, "16KB",
                    "Largest request line plus headers the API accepts; larger is answered 413.", 1024, 1L << 20),
            ConfigOption.of("server.tls.cert_file", Type.STRING, "",
                    "PEM certificate chain of the API (and metrics) listener; with server.tls.key_file turns on HTTPS. Empty: plain HTTP."),
            ConfigOption.of("server.tls.key_file", Type.STRING, "",
                    "PEM private key (PKCS#8) matching server.tls.cert_file."),
            ConfigOption.of("server.http2_enabled", Type.BOOLEAN, "true",
                    "Whether the API and metrics listeners also speak HTTP/2 (h2 by ALPN with TLS, h2c on plain HTTP)."),
            ConfigOption.ranged("server.http2_max_streams", Type.INTEGER, "100",
                    "Most HTTP/2 streams (requests) one connection may have open at once; each counts like a request.",
                    1, 100_000),
            ConfigOption.ranged("server.tls.reload_interval", Type.DURATION, "10s",
                    "How often the TLS files are checked for a renewed pair (loaded once unchanged for one interval); 0 turns watching off.",
                    0, DAY_MS),
            ConfigOption.of("server.tls.metrics", Type.BOOLEAN, "true",
                    "Whether the metrics port serves HTTPS with the API's certificate when server.tls is set; false keeps it plain HTTP."),
            ConfigOption.of("security.cluster.gossip_key", Type.STRING, "",
                    "Base64 of a 16, 24 or 32-byte AES key sealing gossip membership packets (AES-GCM); empty: plain."),
            // fipa (docs/fipa-interop.md)
            ConfigOption.of("fipa.platform_name", Type.STRING, "caxton",
                    "This node's FIPA platform name: its agents are name@platform_name to other platforms."),
            ConfigOption.of("fipa.http_mtp.enabled", Type.BOOLEAN, "false",
                    "Serve the FIPA HTTP MTP (POST /acc) and send to other platforms over it."),
            ConfigOption.of("fipa.http_mtp.host", Type.STRING, "127.0.0.1",
                    "Address the FIPA HTTP MTP listens on; keep it on loopback unless peers elsewhere must reach it."),
            ConfigOption.ranged("fipa.http_mtp.port", Type.INTEGER, "7779",
                    "Port of the FIPA HTTP MTP (0 picks a free port).", 0, 65535),
            ConfigOption.of("fipa.http_mtp.public_url", Type.STRING, "",
                    "The MTP address given to peers in the sender's addresses; empty: http://host:port/acc."),
            ConfigOption.of("fipa.http_mtp.allowed_platforms", Type.LIST, "[]",
                    "Peer platforms whose messages are accepted (by the sender's platform); empty: any."),
            ConfigOption.ranged("fipa.http_mtp.max_body_size", Type.SIZE, "1MB",
                    "Largest MTP request body accepted; larger is refused with 413.", 1024, 64 * MB),
            ConfigOption.ranged("fipa.http_mtp.max_connections", Type.INTEGER, "100",
                    "Most connections open at once to the MTP endpoint.", 1, 100_000),
            ConfigOption.ranged("fipa.http_mtp.request_timeout", Type.DURATION, "30s",
                    "How long an incoming MTP request may take to arrive in full.", 1000, DAY_MS),
            ConfigOption.ranged("fipa.http_mtp.send_timeout", Type.DURATION, "10s",
                    "How long sending one message to a peer platform may take (connect, write, answer).", 100, DAY_MS),
            ConfigOption.of("fipa.http_mtp.tls.cert_file", Type.STRING, "",
                    "PEM certificate chain of the MTP listener; with fipa.http_mtp.tls.key_file it serves HTTPS only."),
            ConfigOption.of("fipa.http_mtp.tls.key_file", Type.STRING, "",
                    "PEM private key (PKCS#8) matching fipa.http_mtp.tls.cert_file."),
            ConfigOption.ranged("fipa.http_mtp.max_in_flight", Type.INTEGER, "256",
                    "Most messages being sent to peer platforms at once; more are refused as a full queue.", 1, 100_000)));

    /** The keys allowed in one agent's entry under {@code agents.overrides}. */
    public static final Map<String, ConfigOption> OVERRIDE_OPTIONS = build(List.of(
            ConfigOption.ranged("memory", Type.SIZE, null, "Memory limit for this agent.", 64 * 1024, 4L << 30),
            ConfigOption.ranged("execution_timeout", Type.DURATION, null, "Execution time limit for this agent.", 0, DAY_MS),
            ConfigOption.ranged("fuel", Type.INTEGER, null, "Fuel limit for this agent.", 0, Long.MAX_VALUE),
            ConfigOption.ranged("cpu_share", Type.INTEGER, null, "CPU share (scheduling weight) of this agent.", 1, 1000)));

    private ConfigSchema() {
    }

    private static Map<String, ConfigOption> build(List<ConfigOption> options) {
        Map<String, ConfigOption> m = new LinkedHashMap<>();
        for (ConfigOption o : options) {
            m.put(o.key(), o);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
