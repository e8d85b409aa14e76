package dev.caxton.runtime;

import dev.caxton.runtime.agent.AbiContract;
import dev.caxton.runtime.agent.Agent;
import dev.caxton.runtime.agent.AgentEvents;
import dev.caxton.runtime.api.ExtismSettings;
import dev.caxton.runtime.agent.MemoryBudget;
import dev.caxton.runtime.api.AgentInfo;
import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.AgentState;
import dev.caxton.runtime.api.DeployException;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.agent.WasiSettings;
import dev.caxton.runtime.cluster.Cluster;
import dev.caxton.runtime.cluster.Quorum;
import dev.caxton.runtime.cluster.PeerLinks;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.runtime.routing.CapabilityDirectory;
import dev.caxton.runtime.routing.ClientReplies;
import dev.caxton.runtime.routing.DeadLetterSink;
import dev.caxton.runtime.routing.EncodedSizeBound;
import dev.caxton.runtime.routing.Mailbox;
import dev.caxton.runtime.routing.QueueBudget;
import dev.caxton.runtime.routing.RetryPolicy;
import dev.caxton.runtime.routing.Router;
import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.WasmCompileException;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipChannel;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.transport.Transport;
import dev.caxton.spi.transport.TransportProvider;
import dev.caxton.spi.membership.NodeId;
import dev.caxton.spi.membership.Seeds;
import dev.caxton.spi.transport.Compression;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.Priority;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
import dev.caxton.spi.storage.AgentRecord;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageProvider;
import dev.caxton.spi.storage.StoredMessage;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * A Caxton node: the providers the configuration selects, the agents deployed on it, and the
 * routing between them. This is the one object the server, the CLI and embedding applications talk
 * to; it knows providers only through the SPI.
 */
public final class CaxtonNode implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CaxtonNode.class.getName());
    private static final Pattern AGENT_NAME = dev.caxton.runtime.config.ConfigSchema.NAME;
    private static final String DEFAULT_CODEC = "json";

    private final CaxtonConfig config;
    private final PluginCatalog catalog;
    private final Path dataDir;
    private volatile dev.caxton.runtime.trace.SpanExport traceExport;
    private final String nodeName;
    private final Storage storage;
    private final Serializer wire;
    private final int maxMessageSize;
    private final Membership membership;
    private final Quorum quorum;
    private final java.util.concurrent.atomic.AtomicBoolean partitioned = new java.util.concurrent.atomic.AtomicBoolean();
    private final ResourceStack resources = new ResourceStack();
    private final PeerLinks links = new PeerLinks();
    private Duration conversationQueryTimeout = Duration.ofSeconds(2);
    private final Transport transport;
    private final String transportName;
    private final InetSocketAddress transportAddress;
    private final Cluster cluster;
    private volatile String apiAddress;
    private final Map<String, WasmEngine> engines = new ConcurrentHashMap<>();
    private final Map<String, Serializer> codecs = new ConcurrentHashMap<>();
    private final ModuleCache moduleCache;
    private final dev.caxton.runtime.agent.InstancePool instancePool;
    // Makes the pool's instances, off every deploy's and message's path; its thread starts with the first.
    private final java.util.concurrent.ScheduledThreadPoolExecutor poolFiller =
            dev.caxton.runtime.fatal.FatalErrors.scheduler("caxton-instance-pool");
    private final Map<String, Agent> agents = new ConcurrentHashMap<>();
    private final Router router;
    private final ConversationJournal journal;
    private final ClientReplies clients;
    private final Agent.Context agentContext;
    private final dev.caxton.runtime.agent.AgentScheduler scheduler;
    // Non-null with messaging.enable_persistence: the outbox, handled ids and checkpoints.
    private final dev.caxton.runtime.durability.Ledger ledger;
    private final java.util.concurrent.ScheduledExecutorService cleanup;
    private final MemoryBudget memoryBudget;
    private final LongAdder deadLettered = new LongAdder();
    private final LongAdder faults = new LongAdder();
    private final dev.caxton.runtime.metrics.NodeMetrics metrics = new dev.caxton.runtime.metrics.NodeMetrics();
    private volatile boolean convergenceReported;
    private final Instant startedAt = Instant.now();
    private volatile boolean accepting = true;
    /** Set once this node left the cluster (an operator's leave, or the start of a shutdown). */
    private final java.util.concurrent.atomic.AtomicBoolean leftCluster = new java.util.concurrent.atomic.AtomicBoolean();

    private CaxtonNode(CaxtonConfig config, PluginCatalog catalog, Path dataDir) {
        this.config = config;
        this.catalog = catalog;
        this.dataDir = dataDir;
        this.nodeName = config.string("server.node_name");
        try {
            createPrivateDirectory(dataDir);
        } catch (IOException e) {
            throw new NodeException("cannot create the data directory " + dataDir + ": " + e.getMessage(), e);
        }
        this.instancePool = instancePool(config);
        this.moduleCache = new ModuleCache((int) config.integer("runtime.module_cache_size"), instancePool::drop);
        this.maxMessageSize = (int) config.size("messaging.max_message_size");
        this.apiAddress = config.apiUrl().substring("http://".length());
        // Each step's resource goes on the stack as soon as it is taken: when a later step fails,
        // everything taken so far is released, newest first, and the failure is rethrown.
        try {
            this.storage = open(Spi.STORAGE, StorageProvider.class, (p, ctx) -> p.open(ctx), c -> c);
            resources.push("storage", storage::close);
            resources.push("instance pool", () -> {
                poolFiller.shutdownNow();
                instancePool.close();
            });
            this.wire = serializer(config.providerName(Spi.SERIALIZER));
            if (config.bool("messaging.enable_persistence")) {
                var commits = new dev.caxton.runtime.durability.CommitQueue(storage::apply,
                        (int) config.integer("storage.batch_size"), config.duration("storage.batch_linger"));
                // Pushed after the storage, so closed before it: what is queued is committed first.
                resources.push("storage commits", commits::close);
                this.ledger = new dev.caxton.runtime.durability.Ledger(storage, commits, wire,
                        config.duration("messaging.dedup_window"), java.time.Clock.systemUTC());
                if (!storage.durable()) {
                    LOG.log(System.Logger.Level.WARNING, "messaging.enable_persistence is on with the {0} storage, which "
                            + "keeps nothing across restarts: duplicates are suppressed, but a crash loses everything",
                            config.providerName(Spi.STORAGE));
                }
            } else {
                if (config.bool("agents.durable")) {
                    throw new ConfigException("agents.durable", "durable agents need messaging.enable_persistence: true "
                            + "(their state is written with the messages they handle)");
                }
                this.ledger = null;
            }
            // The engine of the configuration is created up front so a broken engine stops startup, not
            // the first deploy.
            engine(config.providerName(Spi.ENGINE));
            resources.push("engines", () -> engines.values().forEach(e -> closeQuietly("engine", e::close)));
            this.transportName = config.providerName(Spi.TRANSPORT);
            Compression compression = new Compression(config.bool("messaging.enable_compression"),
                    (int) config.size("messaging.compression_threshold"));
            this.transport = open(Spi.TRANSPORT, TransportProvider.class, (p, ctx) -> p.create(ctx),
                    c -> c.withService(Compression.class, compression));
            resources.push("transport", transport::close);
            links.attach(transport);
            resources.push("peer links", links::close);
            String host = config.string("transport.host");
            int port = (int) config.integer("transport.port");
            try {
                this.transportAddress = transport.start(new InetSocketAddress(host, port), links);
            } catch (IOException e) {
                throw new NodeException("the " + transportName + " transport cannot listen on transport.host:transport.port "
                        + host + ":" + port + ": " + e.getMessage(), e);
            }
            this.membership = open(Spi.MEMBERSHIP, MembershipProvider.class, (p, ctx) -> p.create(ctx),
                    c -> withGossipKey(c.withService(MembershipChannel.class, links)
                            .withService(Seeds.class, new Seeds(config.list("coordination.cluster.seeds")))));
            resources.push("membership", membership::close);
            this.quorum = new Quorum((int) config.integer("coordination.partition.quorum_size"));
            DeadLetterSink sink = new DeadLetterSink() {
                @Override
                public void deadLetter(Envelope e, String reason) {
                    deadLetter(e, reason, dev.caxton.runtime.metrics.DeadLetterReason.classify(reason));
                }

                @Override
                public void deadLetter(Envelope e, String reason, dev.caxton.runtime.metrics.DeadLetterReason category) {
                    metrics.deadLettered(category);
                    CaxtonNode.this.deadLetter(e, reason);
                }
            };
            int batchSize = (int) config.integer("messaging.batch_size");
            this.journal = new ConversationJournal(storage.conversations(), wire, (int) config.integer("messaging.queue_size"),
                    batchSize, config.duration("messaging.conversation_ttl"),
                    config.integer("messaging.conversation_max_messages"));
            resources.push("conversation journal", journal::close);
            RetryPolicy retry = new RetryPolicy((int) config.integer("messaging.retry_attempts"),
                    config.duration("messaging.retry_delay"), (int) config.integer("messaging.retry_backoff"),
                    config.duration("messaging.delivery_timeout"));
            this.router = new Router(new CapabilityDirectory(), sink, nodeName, retry,
                    new QueueBudget(config.integer("messaging.queue_size")), journal,
                    (int) config.integer("messaging.max_hops"));
            resources.push("router", router::close);
            router.metrics(metrics);
            router.tracer(new dev.caxton.runtime.trace.Tracer(config.bool("observability.tracing.enabled"),
                    dev.caxton.runtime.trace.Tracer.parseRate(config.string("observability.tracing.sample_rate")),
                    (int) config.integer("observability.tracing.buffer_size"), nodeName));
            startTraceExport(router.tracer());
            List<Mailbox.ClassPolicy> policy = new ArrayList<>();
            for (Priority p : Priority.values()) {
                String prefix = "messaging.priorities." + p.wireName();
                policy.add(new Mailbox.ClassPolicy((int) config.integer(prefix + ".queue_size"),
                        config.duration(prefix + ".max_latency")));
            }
            links.maxLatencies(policy.stream().map(Mailbox.ClassPolicy::maxLatency).toList());
            this.clients = new ClientReplies(router);
            resources.push("client replies", clients::close);
            this.scheduler = new dev.caxton.runtime.agent.AgentScheduler(new dev.caxton.runtime.agent.AgentScheduler.Settings(
                    dev.caxton.runtime.agent.AgentScheduler.Mode.parse(config.string("runtime.scheduler.mode")),
                    (int) config.integer("runtime.scheduler.workers"), (int) config.integer("runtime.scheduler.throughput"),
                    config.duration("runtime.scheduler.long_call_threshold"),
                    (int) config.integer("runtime.scheduler.max_compensation"),
                    dev.caxton.runtime.agent.AgentScheduler.Affinity.parse(config.string("runtime.scheduler.affinity"))));
            resources.push("agent scheduler", scheduler::close);
            this.agentContext = new Agent.Context(router, sink, new Events(),
                    (int) config.size("messaging.max_message_size"), (int) config.integer("agents.max_failures"),
                    config.duration("agents.failure_window"), List.copyOf(policy), batchSize,
                    config.duration("messaging.message_ttl"), config.integer("runtime.agent_log_rate"),
                    config.integer("runtime.agent_log_burst"), (int) config.integer("runtime.max_capabilities_per_agent"),
                    ledger, scheduler);
            this.memoryBudget = new MemoryBudget(MemoryBudget.resolve(config.size("runtime.memory_budget"),
                    Runtime.getRuntime().maxMemory()));
            // Idle pooled instances are booked in the budget too, and make way for agents.
            instancePool.attach(memoryBudget);
            this.cluster = new Cluster(nodeName, links, wire, router, retry, sink, this::localEntries,
                    () -> membership.members(), config.bool("messaging.prefer_local_capability"));
            cluster.routeBack((int) config.integer("coordination.cluster.route_back_size"),
                    config.duration("coordination.cluster.route_back_ttl"));
            cluster.acceptTimeout(config.duration("coordination.cluster.accept_timeout"));
            if (ledger != null) {
                cluster.persistence(ledger, config.duration("messaging.message_ttl"), config.integer("messaging.queue_size"));
            }
            if (config.bool("coordination.partition.degraded_mode")) {
                cluster.degradedMode(config.duration("messaging.message_ttl"), config.integer("messaging.queue_size"));
            }
            cluster.conversations().journal(this::journalPage);
            cluster.traces().source(id -> router.tracer().find(id));
            this.conversationQueryTimeout = config.duration("coordination.cluster.query_timeout");
            resources.push("cluster", cluster::close);
            this.cleanup = dev.caxton.runtime.fatal.FatalErrors.scheduler("caxton-storage-cleanup");
            resources.push("storage cleanup", cleanup::shutdownNow);
            long every = config.duration("storage.cleanup_interval").toMillis();
            cleanup.scheduleWithFixedDelay(this::cleanUp, every, every, TimeUnit.MILLISECONDS);
            // Samples for caxton_messages_per_second; a few additions a second, nothing on the message path.
            cleanup.scheduleAtFixedRate(metrics::tick, 0, 1, TimeUnit.SECONDS);
        } catch (RuntimeException e) {
            resources.close();
            throw e;
        }
    }

    /**
     * Creates the data directory readable by its owner only (0700): it holds the API token, the
     * database with every message and module, and caches. An existing directory is left as the
     * operator made it, with a warning when others may read it.
     */
    private static void createPrivateDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try {
                Set<java.nio.file.attribute.PosixFilePermission> p = Files.getPosixFilePermissions(dir);
                if (p.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
                    LOG.log(System.Logger.Level.WARNING, "the data directory {0} is open to other users ({1}); "
                            + "chmod 700 it to keep them out", dir, java.nio.file.attribute.PosixFilePermissions.toString(p));
                }
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system: nothing to check.
            }
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            Files.createDirectory(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // Created by another process in between.
        }
    }

    /**
     * Starts a node: opens the selected providers, joins the cluster and brings back the agents the
     * storage remembers.
     *
     * @param config  the configuration
     * @param catalog the providers
     * @param dataDir the data directory (normally {@link CaxtonConfig#dataDir()})
     * @return the running node
     * @throws ConfigException when a selected provider does not exist
     * @throws NodeException   when a provider fails to open
     */
    public static CaxtonNode start(CaxtonConfig config, PluginCatalog catalog, Path dataDir) {
        CaxtonNode node = new CaxtonNode(config, catalog, dataDir);
        try {
            node.joinCluster();
            node.restoreAgents();
            node.recoverOutbox();
            node.cluster.start(config.duration("coordination.cluster.directory_sync_interval"));
            node.publishCluster();
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    private interface Opener<P, T> {
        T open(P provider, ProviderContext ctx);
    }

    private <P extends dev.caxton.spi.Provider, T> T open(Spi spi, Class<P> type, Opener<P, T> opener,
                                                          java.util.function.UnaryOperator<ProviderContext> services) {
        String name = config.providerName(spi);
        P provider = catalog.select(spi, name, type);
        ProviderContext ctx = services.apply(new ProviderContext(config.providerConfig(spi, name), dataDir, nodeName));
        try {
            return opener.open(provider, ctx);
        } catch (ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new NodeException("the " + spi.label() + " provider '" + name + "' failed to start: " + e.getMessage(), e);
        }
    }

    /**
     * Starts the span exporter {@code observability.tracing.exporter} names, if any, fed by the
     * tracer's hops through a bounded queue (so a slow collector never holds up a message).
     */
    private void startTraceExport(dev.caxton.runtime.trace.Tracer tracer) {
        String name = config.providerName(Spi.TRACE);
        if (Spi.TRACE.none(name)) {
            return;
        }
        if (!tracer.enabled()) {
            LOG.log(System.Logger.Level.WARNING, "observability.tracing.exporter is {0} but observability.tracing.enabled"
                    + " is false: nothing is traced, so nothing will be exported", name);
        }
        Map<String, String> resource = new LinkedHashMap<>();
        resource.put("service.name", "caxton");
        resource.put("service.instance.id", nodeName);
        resource.put("service.version", version());
        dev.caxton.spi.trace.SpanExporter exporter = open(Spi.TRACE, dev.caxton.spi.trace.SpanExporterProvider.class,
                (p, ctx) -> p.create(ctx, resource), c -> c);
        this.traceExport = new dev.caxton.runtime.trace.SpanExport(exporter, name,
                (int) config.integer("observability.tracing.export_queue_size"),
                (int) config.integer("observability.tracing.export_batch_size"));
        resources.push("trace export", traceExport::close);
        tracer.exportTo(traceExport::offer);
    }

    /**
     * The span export, when an exporter is configured, for its metrics.
     *
     * @return the export, or empty with {@code observability.tracing.exporter: none}
     */
    public Optional<dev.caxton.runtime.trace.SpanExport> traceExport() {
        return Optional.ofNullable(traceExport);
    }

    /** Offers {@code security.cluster.gossip_key}, when set, to the membership as an AES key. */
    private ProviderContext withGossipKey(ProviderContext c) {
        return config.gossipKey().map(k -> c.withService(javax.crypto.SecretKey.class,
                (javax.crypto.SecretKey) new javax.crypto.spec.SecretKeySpec(k, "AES"))).orElse(c);
    }

    private void joinCluster() {
        // The address actually bound: with transport.port 0 the configured one names no socket.
        Member self = new Member(new NodeId(nodeName), transportAddress, MemberState.ALIVE, 0, metadata());
        // Before joining, so the first changes applied are measured too.
        convergenceReported = membership.reportConvergence(
                seconds -> metrics.gossipConvergence().recordNanos((long) (seconds * 1e9)));
        membership.join(self, event -> {
            LOG.log(System.Logger.Level.INFO, "cluster: {0} {1}",
                    event.type().name().toLowerCase(java.util.Locale.ROOT), event.member().id());
            cluster.onMembershipEvent(event);
            checkQuorum();
        });
        checkQuorum();
    }

    /**
     * Logs a change of the partition verdict once, when it changes; health and metrics read the
     * verdict fresh from the membership on each request.
     */
    private void checkQuorum() {
        Quorum.Status st = quorum.check(membership.members());
        boolean was = partitioned.getAndSet(st.partitioned());
        if (st.partitioned() && !was) {
            LOG.log(System.Logger.Level.WARNING, "cluster: partition suspected: {0} alive, fewer than "
                    + "coordination.partition.quorum_size {1}; local agents keep being served", st.alive(), st.quorum());
        } else if (!st.partitioned() && was) {
            LOG.log(System.Logger.Level.INFO, "cluster: quorum regained: {0} alive of quorum {1}", st.alive(), st.quorum());
        }
    }

    private Map<String, String> metadata() {
        // The versions let an operator see a mixed cluster during a rolling upgrade.
        return Map.of("api", apiAddress, "agents", Integer.toString(agents.size()), "version", version(),
                "spi", SPI_VERSION);
    }

    /** The version of the SPI module this node runs with ("dev" outside a versioned module). */
    private static final String SPI_VERSION = Optional.ofNullable(dev.caxton.spi.Provider.class.getModule().getDescriptor())
            .flatMap(java.lang.module.ModuleDescriptor::rawVersion).orElse("dev");

    /**
     * Tells the cluster what this node hosts now: the directory entries (pushed to peers when they
     * changed) and the membership metadata ({@code api}, {@code agents}, {@code version}, {@code spi}).
     */
    private void publishCluster() {
        try {
            cluster.publish();
            if (leftCluster.get()) {
                // Out of the cluster: nobody to tell, and the membership refuses updates once it left.
                return;
            }
            membership.updateMetadata(metadata());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cluster: could not publish this node''s agents: {0}", e.toString());
        }
    }

    private Map<String, List<String>> localEntries() {
        Map<String, List<String>> m = new java.util.TreeMap<>();
        for (String name : agents.keySet()) {
            m.put(name, router.directory().capabilitiesOf(name));
        }
        return m;
    }

    /**
     * Sets the API address this node advertises to the cluster (metadata key {@code api}), once the
     * API listener knows its real port.
     *
     * @param hostPort host:port
     */
    public void advertiseApi(String hostPort) {
        this.apiAddress = hostPort;
        publishCluster();
    }

    /**
     * Every agent of the cluster: this node's and those the directory lists for the others.
     *
     * @return one map per agent with {@code name}, {@code node}, {@code capabilities} (and the local
     *         agent's state), sorted by node then name
     */
    public List<Map<String, Object>> clusterAgents() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (AgentInfo a : agents()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", a.name());
            m.put("node", nodeName);
            m.put("capabilities", router.directory().capabilitiesOf(a.name()));
            out.add(m);
        }
        cluster.directory().nodes().forEach((node, entries) -> entries.agents().forEach((name, caps) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("node", node);
            m.put("capabilities", caps);
            out.add(m);
        }));
        out.sort(Comparator.comparing((Map<String, Object> m) -> (String) m.get("node"))
                .thenComparing(m -> (String) m.get("name")));
        return out;
    }

    /** @return the transport address this node listens on */
    public InetSocketAddress transportAddress() {
        return transportAddress;
    }

    /** @return malformed frames from peers dropped since start */
    public long clusterFramesRejected() {
        return links.rejectedCount();
    }

    private void restoreAgents() {
        for (AgentRecord r : storage.agents().list()) {
            if (r.state().equals(AgentState.STOPPED.label())) {
                continue;
            }
            try {
                AgentLimits limits = new AgentLimits(r.maxMemoryBytes(), Duration.ofMillis(r.executionTimeoutMs()), r.fuel(),
                        r.cpuShare());
                // A failed agent comes back failed: it was refusing messages for a reason a restart does
                // not remove, and only a reload (new module) should put it back to work.
                boolean failed = r.state().equals(AgentState.FAILED.label());
                startAgent(r.name(), r.id(), r.deployedAt(), r.module(), r.capabilities(), limits, r.codec(),
                        r.engine().isEmpty() ? null : r.engine(), null, false, failed, r.durable() && ledger != null,
                        r.wasi(), r.wasiArgs(), r.wasiEnv(), ExtismSettings.decode(r.extism()));
                LOG.log(System.Logger.Level.INFO, "restored agent {0}{1}", r.name(), failed ? " (failed)" : "");
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "could not restore agent {0}: {1}", r.name(), e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ providers

    private WasmEngine engine(String name) {
        return engines.computeIfAbsent(name, n -> {
            WasmEngineProvider p = catalog.select(Spi.ENGINE, n, WasmEngineProvider.class);
            p.unsupportedReason().ifPresent(reason -> {
                throw new ConfigException(Spi.ENGINE.selectorKey(), "the engine '" + n + "' cannot run here: " + reason);
            });
            try {
                return p.create(new ProviderContext(config.providerConfig(Spi.ENGINE, n), dataDir, nodeName));
            } catch (ConfigException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new NodeException("the engine '" + n + "' failed to start: " + e.getMessage(), e);
            }
        });
    }

    private Serializer serializer(String name) {
        return codecs.computeIfAbsent(name, n -> {
            SerializerProvider p = catalog.select(Spi.SERIALIZER, n, SerializerProvider.class);
            ProviderConfig section = config.providerConfig(Spi.SERIALIZER, n);
            SerializerLimits limits = SerializerLimits.DEFAULT.withMaxBytes((int) config.size("messaging.max_message_size"));
            return p.create(new ProviderContext(section, dataDir, nodeName), limits);
        });
    }

    // ------------------------------------------------------------------ agents

    /**
     * Deploys an agent.
     *
     * @param spec what to deploy
     * @return the running agent's snapshot
     * @throws DeployException when the request, the module or its {@code init} is refused
     */
    public AgentInfo deploy(DeploySpec spec) {
        long start = System.nanoTime();
        AgentInfo info = deployNow(spec);
        metrics.agentStartup().recordNanos(System.nanoTime() - start);
        return info;
    }

    private AgentInfo deployNow(DeploySpec spec) {
        requireAccepting();
        if (spec.name() == null || !AGENT_NAME.matcher(spec.name()).matches()) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "invalid agent name '" + spec.name()
                    + "': 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (spec.name().startsWith(ClientReplies.CLIENT_PREFIX)) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST,
                    "agent names starting with '" + ClientReplies.CLIENT_PREFIX + "' are reserved for API clients");
        }
        for (String c : spec.capabilities()) {
            String p = CapabilityDirectory.problemWith(c);
            if (p != null) {
                throw new DeployException(DeployException.Kind.INVALID_REQUEST, "capability '" + c + "': " + p);
            }
        }
        int maxCaps = (int) config.integer("runtime.max_capabilities_per_agent");
        if (spec.capabilities().size() > maxCaps) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "field 'capabilities' lists "
                    + spec.capabilities().size() + " capabilities; runtime.max_capabilities_per_agent allows " + maxCaps);
        }
        if (spec.permissions() != null) {
            for (String p : spec.permissions().stream().sorted().toList()) {
                if (!AbiContract.HOST_FUNCTIONS.containsKey(p)) {
                    throw new DeployException(DeployException.Kind.INVALID_REQUEST, "field 'permissions': unknown permission '"
                            + p + "'; known permissions: " + String.join(", ", AbiContract.HOST_FUNCTIONS.keySet()));
                }
            }
        }
        if (agents.size() >= config.integer("runtime.max_agents")) {
            throw new DeployException(DeployException.Kind.CAPACITY, "this node hosts runtime.max_agents ("
                    + config.integer("runtime.max_agents") + ") agents already");
        }
        WasiSettings.check(spec.wasi(), spec.wasiArgs(), spec.wasiEnv());
        AgentLimits limits = spec.limits() == null ? limitsFor(spec.name()) : spec.limits();
        boolean durable = spec.durable() != null ? spec.durable() : config.bool("agents.durable");
        if (durable && ledger == null) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "field 'durable': a durable agent needs "
                    + "messaging.enable_persistence: true on this node (its state is written with the messages it handles)");
        }
        Agent agent = startAgent(spec.name(), UUID.randomUUID().toString(), Instant.now(), spec.module(),
                spec.capabilities(), limits, spec.codec() == null ? DEFAULT_CODEC : spec.codec(), spec.engine(),
                spec.permissions(), true, false, durable, spec.wasi(), spec.wasiArgs(), spec.wasiEnv(), spec.extism());
        publishCluster();
        return agent.info();
    }

    /**
     * The limits an agent gets when its deployment names none: the configured defaults, with its
     * {@code agents.overrides} entry applied.
     *
     * @param agentName the agent
     * @return the limits
     */
    public AgentLimits limitsFor(String agentName) {
        ProviderConfig o = config.agentOverrides(agentName);
        return new AgentLimits(
                o.size("memory", config.size("agents.default_limits.memory")),
                o.duration("execution_timeout", config.duration("agents.default_limits.execution_timeout")),
                o.integer("fuel", config.integer("agents.default_limits.fuel")),
                (int) o.integer("cpu_share", config.integer("agents.default_limits.cpu_share")));
    }

    private Agent.Code compile(byte[] module, AgentLimits limits, String codecName, String engineName,
                               Set<String> permissions, boolean wasi, List<String> wasiArgs,
                               Map<String, String> wasiEnv, ExtismSettings extism) {
        String engineChosen = engineName == null || engineName.isEmpty() ? config.providerName(Spi.ENGINE) : engineName;
        WasmEngine engine;
        Serializer codec;
        try {
            engine = engine(engineChosen);
            codec = serializer(codecName);
        } catch (ConfigException e) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, e.getMessage(), e);
        }
        if (limits.fuel() > 0 && !engine.features().fuel()) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "the engine '" + engineChosen
                    + "' does not meter fuel (" + engine.features().description() + "); deploy with fuel 0 or another engine");
        }
        if (wasi && !engine.features().wasi()) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "field 'wasi': the engine '" + engineChosen
                    + "' offers no WASI (" + engine.features().description() + "); deploy on an engine that does or without wasi");
        }
        if (limits.memoryBytes() < 65536) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "a memory limit below one 64KB page leaves no room for any memory");
        }
        WasmModule compiled;
        try {
            compiled = moduleCache.compile(engineChosen, engine, module);
        } catch (WasmCompileException e) {
            throw new DeployException(DeployException.Kind.INVALID_MODULE, "not a valid WebAssembly module: " + e.getMessage(), e);
        }
        if (extism != null && !codec.name().equals(DEFAULT_CODEC)) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "field 'codec': an Extism plugin reads and"
                    + " writes the content as JSON text; deploy it with the json codec (the default)");
        }
        AbiContract.check(compiled, permissions, wasi, extism == null ? null : extism.function());
        return new Agent.Code(compiled, module, codec, engineChosen, limits, permissions, wasi, wasiArgs, wasiEnv, extism);
    }

    private Agent startAgent(String name, String id, Instant deployedAt, byte[] module, List<String> capabilities,
                             AgentLimits limits, String codec, String engineName, Set<String> permissions, boolean persist,
                             boolean failed, boolean durable, boolean wasi, List<String> wasiArgs,
                             Map<String, String> wasiEnv, ExtismSettings extism) {
        limits.validate();
        Agent.Code code = compile(module, limits, codec, engineName, permissions, wasi, wasiArgs, wasiEnv, extism);
        if (durable && !engine(code.engine()).features().snapshots()) {
            throw new DeployException(DeployException.Kind.INVALID_REQUEST, "the engine '" + code.engine()
                    + "' cannot save and restore an instance's state (" + engine(code.engine()).features().description()
                    + "); deploy without durable or on another engine");
        }
        Agent agent = new Agent(name, id, deployedAt, code, capabilities, agentContext, durable);
        agent.instancePool(instancePool);
        if (durable) {
            storage.checkpoints().load(name).ifPresent(cp -> {
                if (!agent.adoptCheckpoint(cp)) {
                    LOG.log(System.Logger.Level.WARNING, "the saved state of {0} belongs to another module; it starts "
                            + "from its initial state", name);
                }
            });
        }
        synchronized (agents) {
            if (agents.containsKey(name) || router.isRegistered(name)) {
                throw new DeployException(DeployException.Kind.CONFLICT, "an agent named '" + name + "' is already deployed");
            }
            // A durable agent's checkpoint keeps a shadow copy of its memory on the heap: it books twice.
            // An Extism plugin's kernel blocks live on the heap too, bounded by the same limit: they book once more.
            memoryBudget.reserve(name, (durable ? 2 * limits.memoryBytes() : limits.memoryBytes())
                    + (extism != null ? limits.memoryBytes() : 0));
            try {
                if (failed) {
                    agent.startFailed("failed before the node restarted; reload it to run it again");
                } else {
                    agent.start();
                }
            } catch (RuntimeException e) {
                memoryBudget.release(name);
                throw e;
            }
            agents.put(name, agent);
        }
        if (persist) {
            storage.agents().put(record(agent));
        }
        return agent;
    }

    private AgentRecord record(Agent a) {
        Agent.Code c = a.code();
        return new AgentRecord(a.name(), a.id(), c.bytes(), c.limits().memoryBytes(),
                c.limits().executionTimeout().toMillis(), c.limits().fuel(), List.copyOf(a.deployedCapabilities()),
                c.codec().name(), c.engine(), a.state().label(), a.deployedAt(), Instant.now(), a.durable(),
                c.wasi(), c.wasiArgs(), c.wasiEnv(), c.extism() == null ? null : c.extism().encode(), c.limits().cpuShare());
    }

    /**
     * Replaces an agent's module after its message in flight, keeping its queue, name, id and
     * capabilities granted at deploy.
     *
     * @param name   the agent
     * @param module the new binary
     * @return the agent's snapshot after the swap
     * @throws DeployException when there is no such agent or the module is refused
     */
    public AgentInfo reload(String name, byte[] module) {
        return reload(name, module, false);
    }

    /**
     * Replaces an agent's module like {@link #reload(String, byte[])}; a durable agent keeps its state
     * when the module is unchanged, and across a change of module only with {@code keepState}.
     *
     * @param name      the agent
     * @param module    the new binary
     * @param keepState keep a durable agent's memory and globals for a changed module
     * @return the agent's snapshot after the swap
     * @throws DeployException when there is no such agent or the module is refused
     */
    public AgentInfo reload(String name, byte[] module, boolean keepState) {
        requireAccepting();
        Agent agent = agentOrThrow(name);
        Agent.Code old = agent.code();
        Agent.Code code = compile(module, old.limits(), old.codec().name(), old.engine(), old.permissions(), old.wasi(),
                old.wasiArgs(), old.wasiEnv(), old.extism());
        await(agent.reload(code, keepState), Duration.ofMinutes(1), "reload of '" + name + "'");
        storage.agents().put(record(agent));
        return agent.info();
    }

    /**
     * Undeploys an agent: it takes no new messages, processes the queued ones, runs {@code shutdown}
     * and is forgotten.
     *
     * @param name the agent
     * @throws DeployException when there is no such agent
     */
    public void undeploy(String name) {
        Agent agent = agentOrThrow(name);
        Duration timeout = config.duration("server.shutdown_timeout");
        await(agent.undeploy(timeout), timeout.plusSeconds(5), "undeploy of '" + name + "'");
        if (agents.remove(name, agent)) {
            memoryBudget.release(name);
        }
        storage.agents().remove(name);
        if (ledger != null && agent.durable()) {
            ledger.write(List.of(new dev.caxton.spi.storage.StorageWrite.CheckpointDrop(name)));
        }
        publishCluster();
    }

    private static void await(CompletableFuture<?> f, Duration timeout, String what) {
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " did not finish within " + timeout.toSeconds() + "s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " was interrupted");
        }
    }

    private Agent agentOrThrow(String name) {
        Agent a = agents.get(name);
        if (a == null) {
            throw new DeployException(DeployException.Kind.NOT_FOUND, "agent '" + name + "' not found");
        }
        return a;
    }

    /**
     * A fresh message id, unique to this node.
     *
     * @return the id
     */
    public String newMessageId() {
        return router.newMessageId();
    }

    /**
     * One agent.
     *
     * @param name the name
     * @return its snapshot, if deployed
     */
    public Optional<AgentInfo> agent(String name) {
        return Optional.ofNullable(agents.get(name)).map(Agent::info);
    }

    /** @return every deployed agent, by name */
    public List<AgentInfo> agents() {
        return agents.values().stream().map(Agent::info).sorted(Comparator.comparing(AgentInfo::name)).toList();
    }

    // ------------------------------------------------------------------ messages

    /**
     * Sends a message from outside (the API), without waiting.
     *
     * @param e the message; a client sender is assigned when absent
     * @return the message as routed, with its id
     * @throws RoutingException when it is refused
     */
    public Envelope send(Envelope e) {
        requireAccepting();
        checkSize(e);
        checkClientSender(e);
        // What the node sets is set in one copy of the envelope, not one per field: the sender it
        // names, the message id (which the router would otherwise add in a second copy) and the
        // hop count, since a client's message starts a chain of hand-offs and whatever count it
        // claims is not its to set. Fields the node set just now need no check; the client's are
        // checked as always.
        Envelope.Builder b = null;
        int nodeMade = Router.NODE_MADE_NONE;
        if (e.sender() == null) {
            b = e.toBuilder().sender(router.newClientName());
            nodeMade |= Router.NODE_MADE_SENDER;
        }
        if (e.messageId() == null) {
            b = (b == null ? e.toBuilder() : b).messageId(router.newMessageId());
            nodeMade |= Router.NODE_MADE_MESSAGE_ID;
        }
        if (e.hops() != 0) {
            b = (b == null ? e.toBuilder() : b).hops(0);
        }
        Envelope out = accepted(b == null ? e : b.build());
        Envelope routed = router.routeConfirmed(out, nodeMade);
        awaitStored();
        return routed;
    }

    /**
     * With persistence, waits until what was accepted so far is in storage: acceptance is reported to
     * a client only for messages a crash cannot lose.
     */
    private void awaitStored() {
        if (ledger == null) {
            return;
        }
        try {
            ledger.sync().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new NodeException("the message was queued but storage failed to record it: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new NodeException("the message was queued but storage did not record it within 60s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeException("interrupted while storage recorded the message", e);
        }
    }

    /**
     * Refuses a client message that claims to come from an agent of this node, or from a name the
     * node gives waiting clients: the replies would go to that agent (which may answer them, and so
     * on: an echo agent named as its own sender replied to itself forever) or complete another
     * client's wait.
     */
    private void checkClientSender(Envelope e) {
        String sender = e.sender();
        if (sender == null) {
            return;
        }
        if (agents.containsKey(sender)) {
            throw new RoutingException(SendStatus.MALFORMED, EnvelopeFields.SENDER, "'" + sender
                    + "' is an agent on this node, and API clients may not send as an agent: its replies would go"
                    + " to that agent; leave sender out (replies then come back to you with wait_ms) or use a name"
                    + " of your own");
        }
        if (sender.startsWith(ClientReplies.CLIENT_PREFIX)) {
            throw new RoutingException(SendStatus.MALFORMED, EnvelopeFields.SENDER, "'" + sender
                    + "' is reserved: names starting with '" + ClientReplies.CLIENT_PREFIX
                    + "' are the ones the node gives API clients; leave sender out to get one");
        }
    }

    /**
     * Sends a message and waits for its reply.
     *
     * @param e    the message
     * @param wait how long to wait
     * @return completes with the reply, or a {@code failure} envelope (reason {@code timeout} when
     *         nothing came back in time); completes exceptionally with a {@link RoutingException}
     *         when an agent on another node receives it and that node refuses it (a full mailbox):
     *         the call does not wait for the other node's answer
     * @throws RoutingException when it is refused here
     */
    public CompletableFuture<Envelope> request(Envelope e, Duration wait) {
        return request(e, wait, false);
    }

    /**
     * Sends a message and waits for its reply, saying whether the caller blocks on the result at
     * once. If it does, an idle receiving agent runs the message on the caller's thread (no hand-off
     * to the agent's thread and back), and the returned future is usually complete on return; a
     * busy agent queues it as usual. See docs/performance.md.
     *
     * @param e           the message
     * @param wait        how long to wait
     * @param callerWaits true when the caller joins the result straight away (the API's
     *                    {@code wait_ms}); false for a caller that keeps several requests in flight
     * @return completes with the reply, or a {@code failure} envelope
     * @throws RoutingException when it is refused
     */
    public CompletableFuture<Envelope> request(Envelope e, Duration wait, boolean callerWaits) {
        requireAccepting();
        checkSize(e);
        checkClientSender(e);
        Envelope in = accepted(e);
        CompletableFuture<Envelope> reply = clients.request(in.hops() == 0 ? in : in.withHops(0), wait, callerWaits);
        if (ledger == null) {
            return reply;
        }
        // The reply is released only once the request is stored, as for a message sent without a wait.
        CompletableFuture<Void> stored = ledger.sync();
        return reply.thenCombine(stored, (r, v) -> r);
    }

    /**
     * Connects a transport to other agent platforms (the FIPA HTTP MTP): receivers of the form
     * {@code name@platform} that no agent of the cluster answers to are handed to it.
     *
     * @param routes the transport, or null to disconnect it
     */
    public void externalRoutes(dev.caxton.runtime.routing.ExternalRoutes routes) {
        router.external(routes);
    }

    /**
     * Takes in a message that came from another agent platform. Its sender must be an external name
     * ({@code name@platform}), which no local agent can have, so a peer can never speak as one of
     * this node's agents; its hop count is kept, so loops across platforms still end.
     *
     * @param e the message, receiver a local (or cluster) agent or waiting client
     * @return the message as routed, with its id
     * @throws RoutingException when it is refused (unknown receiver, full mailbox, malformed)
     */
    public Envelope receiveExternal(Envelope e) {
        requireAccepting();
        checkSize(e);
        if (e.sender() == null || e.sender().indexOf('@') < 1) {
            throw new RoutingException(SendStatus.NOT_PERMITTED, EnvelopeFields.SENDER,
                    "a message from another platform needs an external sender name@platform");
        }
        Envelope routed = router.routeConfirmed(accepted(e));
        awaitStored();
        return routed;
    }

    /**
     * Routes a notice the node itself is responsible for (a transport failure for an agent, say):
     * retried when the mailbox is full and dead-lettered if it still cannot be delivered.
     *
     * @param e the notice
     */
    public void deliverNotice(Envelope e) {
        router.routeOwned(e);
    }

    /**
     * Where a client's message enters the node: it is sampled for tracing here (and given its id
     * now, so the first hop already names it).
     */
    private Envelope accepted(Envelope e) {
        dev.caxton.runtime.trace.Tracer tracer = router.tracer();
        Envelope t = tracer.start(e);
        if (t.traceparent() == null) {
            return t;
        }
        if (t.messageId() == null) {
            t = t.withMessageId(router.newMessageId());
        }
        tracer.record(t, dev.caxton.runtime.trace.Hop.ACCEPTED, null, "from an API client");
        return t;
    }

    /**
     * The recorded hops of the traces a message, conversation or trace id took part in.
     *
     * @param id a message id, conversation id or trace id
     * @return the hops on this node, oldest first
     */
    public List<dev.caxton.runtime.trace.TraceHop> trace(String id) {
        return router.tracer().find(id);
    }

    /**
     * The hops of a message, conversation or trace on every live node of the cluster, merged in time
     * order: this node's, and those of each peer that answers within
     * {@code coordination.cluster.query_timeout} (the others are named in the answer).
     *
     * @param id a message id, conversation id or trace id
     * @return the merged hops, the nodes they came from and the peers that did not answer
     */
    public dev.caxton.runtime.cluster.ClusterTraces.Answers clusterTrace(String id) {
        return cluster.traces().ask(cluster.livePeers(), id, conversationQueryTimeout);
    }

    /** @return whether this node samples and records traces */
    public boolean tracingEnabled() {
        return router.tracer().enabled();
    }

    private void checkSize(Envelope e) {
        int max = maxMessageSize;
        long bound = EncodedSizeBound.of(e);
        if (bound >= 0 && bound <= max) {
            return;
        }
        int size;
        try {
            size = wire.encode(e).length;
        } catch (SerializationException ex) {
            throw new RoutingException(SendStatus.MALFORMED, "content", ex.getMessage());
        }
        if (size > max) {
            throw new RoutingException(SendStatus.TOO_LARGE, "content", "the message is " + size
                    + " bytes encoded; messaging.max_message_size is " + max);
        }
    }

    private void deadLetter(Envelope e, String reason) {
        deadLettered.increment();
        router.tracer().record(e, dev.caxton.runtime.trace.Hop.DEAD_LETTERED, e.receiver(), reason);
        String id = e.messageId() == null ? router.newMessageId() : e.messageId();
        String receiver = e.receiver() != null ? e.receiver() : e.capability();
        byte[] bytes;
        try {
            bytes = wire.encode(e);
        } catch (SerializationException ex) {
            bytes = new byte[0];
            reason = reason + " (and the envelope could not be stored: " + ex.getMessage() + ")";
        }
        try {
            storage.deadLetters().add(new StoredMessage(id, receiver, bytes, reason, 0, Instant.now()));
        } catch (RuntimeException ex) {
            LOG.log(System.Logger.Level.ERROR, "could not store dead letter {0} ({1}): {2}", id, reason, ex.getMessage(),
                    dev.caxton.runtime.logging.LogFields.message(receiver, id, e.conversationId()));
        }
    }

    /**
     * The newest dead letters.
     *
     * @param limit the most to return
     * @return the dead letters, newest first
     */
    public List<DeadLetter> deadLetters(int limit) {
        List<DeadLetter> out = new ArrayList<>();
        for (StoredMessage m : storage.deadLetters().list(limit)) {
            Envelope env = null;
            if (m.envelope().length > 0) {
                try {
                    env = wire.decode(m.envelope());
                } catch (SerializationException e) {
                    LOG.log(System.Logger.Level.WARNING, "dead letter {0} cannot be decoded: {1}", m.id(), e.getMessage());
                }
            }
            out.add(new DeadLetter(m.id(), m.receiver(), m.reason(), m.at(), env));
        }
        return out;
    }

    /**
     * Sends a dead letter again, as it was, and removes it from the queue once the router accepted it.
     *
     * @param id the dead letter's id
     * @return the message as routed
     * @throws NotFoundException when there is no such dead letter
     * @throws RoutingException  when it is refused again (it then stays in the queue)
     */
    public Envelope replayDeadLetter(String id) {
        requireAccepting();
        StoredMessage m = storage.deadLetters().get(id)
                .orElseThrow(() -> new NotFoundException("no dead letter with id '" + id + "'"));
        Envelope env;
        try {
            env = wire.decode(m.envelope());
        } catch (SerializationException e) {
            throw new RoutingException(SendStatus.MALFORMED, "", "dead letter '" + id
                    + "' cannot be decoded, so it cannot be replayed: " + e.getMessage());
        }
        // A replay is the operator's fresh start: a message dead-lettered at the hop limit would
        // otherwise be refused again at once.
        Envelope routed = router.route(env.hops() == 0 ? env : env.withHops(0));
        storage.deadLetters().remove(id);
        return routed;
    }

    /**
     * The first page of a conversation, of the default size.
     *
     * @param id the conversation id
     * @return the page
     * @throws NotFoundException when no message of it is known
     */
    public Conversation conversation(String id) {
        return conversation(id, null, Conversation.DEFAULT_PAGE);
    }

    /**
     * One page of a conversation's history. The page never holds more than {@code limit} messages,
     * so reading a long conversation costs a page at a time, never the whole of it.
     *
     * @param id     the conversation id
     * @param cursor where to go on from: null for the start, else a {@link Conversation#nextCursor()}
     * @param limit  the most messages, 1 to {@link Conversation#MAX_PAGE}
     * @return the page
     * @throws NotFoundException when no message of it is known (never seen, or closed after
     *         {@code messaging.conversation_ttl})
     * @throws RoutingException  ({@link SendStatus#MALFORMED}) naming {@code cursor} or {@code limit}
     *                           when either is not valid
     */
    public Conversation conversation(String id, String cursor, int limit) {
        if (limit < 1 || limit > Conversation.MAX_PAGE) {
            throw new RoutingException(SendStatus.MALFORMED, "limit", "must be 1 to " + Conversation.MAX_PAGE
                    + ", got " + limit);
        }
        List<String> peers = cluster.livePeers();
        if (peers.isEmpty()) {
            return localConversation(id, cursor, limit);
        }
        var reads = cluster.conversations();
        Map<String, Long> after = reads.parseCursor(cursor);
        if (after == null) {
            throw badCursor(cursor);
        }
        var answers = reads.ask(peers, id, after, limit, conversationQueryTimeout);
        if (answers.pages().isEmpty()) {
            throw new NotFoundException("no conversation '" + id + "' (never seen, or closed after messaging.conversation_ttl)"
                    + (answers.incomplete().isEmpty() ? "" : "; nodes that did not answer: "
                    + String.join(", ", answers.incomplete())));
        }
        var merged = dev.caxton.runtime.cluster.ClusterConversations.merge(answers.pages(), after, limit);
        java.util.LinkedHashSet<String> participants = new java.util.LinkedHashSet<>();
        List<Conversation.Message> messages = new ArrayList<>(merged.taken().size());
        for (var taken : merged.taken()) {
            messages.add(message(id, taken.getValue(), taken.getKey(), participants));
        }
        long total = 0;
        long omitted = 0;
        java.time.Instant first = null;
        java.time.Instant last = null;
        for (var p : answers.pages().values()) {
            total += p.total();
            omitted += p.omitted();
            first = first == null || p.first().isBefore(first) ? p.first() : first;
            last = last == null || p.last().isAfter(last) ? p.last() : last;
        }
        return new Conversation(id, List.copyOf(participants), first, last, messages, total, merged.cursor(), omitted,
                answers.incomplete());
    }

    /** This node's part of a conversation, for peers that read it across the cluster. */
    private dev.caxton.runtime.cluster.ClusterConversations.Page journalPage(String id, long after, int limit) {
        journal.awaitWritten(Duration.ofSeconds(5));
        var store = storage.conversations();
        long total = store.count(id);
        List<dev.caxton.spi.storage.ConversationEntry> first = store.page(id, 0, 1);
        if (total == 0 || first.isEmpty()) {
            return null;
        }
        List<dev.caxton.spi.storage.ConversationEntry> newest = store.page(id, Math.max(0, total - 1), 1);
        return new dev.caxton.runtime.cluster.ClusterConversations.Page(total, first.getFirst().at(),
                (newest.isEmpty() ? first : newest).getFirst().at(), journal.omitted(id), store.page(id, after, limit));
    }

    private Conversation.Message message(String id, dev.caxton.spi.storage.ConversationEntry e, String node,
                                         java.util.Set<String> participants) {
        if (!e.sender().isEmpty()) {
            participants.add(e.sender());
        }
        if (!e.receiver().isEmpty()) {
            participants.add(e.receiver());
        }
        Envelope env = null;
        try {
            env = e.envelope().length == 0 ? null : wire.decode(e.envelope());
        } catch (SerializationException ex) {
            LOG.log(System.Logger.Level.WARNING, "message {0} of conversation {1} cannot be decoded: {2}",
                    e.messageId(), id, ex.getMessage());
        }
        return new Conversation.Message(e.sequence(), e.messageId(), e.sender(), e.receiver(), e.performative(), e.at(),
                env, node);
    }

    private Conversation localConversation(String id, String cursor, int limit) {
        long after = parseCursor(cursor);
        journal.awaitWritten(Duration.ofSeconds(5));
        var store = storage.conversations();
        long total = store.count(id);
        List<dev.caxton.spi.storage.ConversationEntry> first = store.page(id, 0, 1);
        if (total == 0 || first.isEmpty()) {
            throw new NotFoundException("no conversation '" + id + "' (never seen, or closed after messaging.conversation_ttl)");
        }
        // One more than asked tells whether another page follows without counting again.
        List<dev.caxton.spi.storage.ConversationEntry> entries = store.page(id, after, limit + 1);
        boolean more = entries.size() > limit;
        if (more) {
            entries = entries.subList(0, limit);
        }
        // Sequences run 1..total without gaps, so the newest entry is the one after total - 1.
        List<dev.caxton.spi.storage.ConversationEntry> newest = store.page(id, Math.max(0, total - 1), 1);
        java.util.LinkedHashSet<String> participants = new java.util.LinkedHashSet<>();
        List<Conversation.Message> messages = new ArrayList<>(entries.size());
        for (var e : entries) {
            messages.add(message(id, e, nodeName, participants));
        }
        String next = more ? Long.toString(entries.getLast().sequence()) : null;
        return new Conversation(id, List.copyOf(participants), first.getFirst().at(),
                (newest.isEmpty() ? first : newest).getFirst().at(), messages, total, next, journal.omitted(id));
    }

    private static long parseCursor(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return 0;
        }
        try {
            long n = Long.parseLong(cursor);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // falls through to the refusal below
        }
        throw badCursor(cursor);
    }

    private static RoutingException badCursor(String cursor) {
        return new RoutingException(SendStatus.MALFORMED, "cursor", "'" + cursor
                + "' is not a cursor this node handed out; use the next_cursor of the previous page");
    }

    /** @return how many dead letters the store holds */
    public long deadLetterCount() {
        return storage.deadLetters().count();
    }

    /** @return the capability directory: capability to holders */
    public Map<String, List<String>> capabilities() {
        return router.directory().snapshot();
    }

    /** @return the cluster members as this node sees them */
    public List<Member> members() {
        List<Member> m = membership.members();
        if (m.isEmpty() && leftCluster.get()) {
            // A membership that left knows no one; the node still answers for itself.
            return List.of(new Member(new NodeId(nodeName), transportAddress, MemberState.LEFT, 0, metadata()));
        }
        return m;
    }

    /**
     * Leaves the cluster gracefully: the others report this node {@code left}, not {@code dead}, and
     * drop its agents from their directories. The node keeps serving its own agents, alone, until it
     * stops; it does not rejoin before a restart. A graceful shutdown does this first, before the
     * agents drain, so no new work is routed here while they finish.
     *
     * @return true when this call left; false when the node had already left
     */
    public boolean leaveCluster() {
        if (!leftCluster.compareAndSet(false, true)) {
            return false;
        }
        membership.leave();
        LOG.log(System.Logger.Level.INFO, "cluster: this node left the cluster");
        return true;
    }

    /** @return whether this node left the cluster (see {@link #leaveCluster()}) */
    public boolean hasLeftCluster() {
        return leftCluster.get();
    }

    /**
     * Whether the node should be sent work, for the unauthenticated readiness probe: each entry names
     * a check that failed and why, in words that reveal no versions, names or addresses. Storage is
     * asked a real (cheap) question rather than trusted to be open, so a store that stopped
     * answering makes the node unready until it answers again.
     *
     * @return the failed checks by name (storage, cluster, draining); empty when ready
     */
    public Map<String, String> readiness() {
        Map<String, String> failed = new LinkedHashMap<>();
        if (!accepting) {
            failed.put("draining", "the node is shutting down");
        } else if (leftCluster.get()) {
            failed.put("draining", "the node left the cluster and takes no new work");
        }
        try {
            storage.handled().contains("caxton.readiness", "probe");
        } catch (RuntimeException e) {
            failed.put("storage", "storage does not answer");
        }
        try {
            Quorum.Status q = quorum.check(membership.members());
            // With seeds the node is meant to be part of a cluster: not ready before it has seen
            // another member once. Only once: survivors of a lost peer stay ready (the quorum,
            // when configured, decides about partitions).
            if (q.alive() > 1) {
                joinedOnce = true;
            }
            if (q.partitioned()) {
                failed.put("cluster", "not joined: fewer members reachable than the quorum");
            } else if (!joinedOnce && !config.list("coordination.cluster.seeds").isEmpty()) {
                failed.put("cluster", "not joined: no other member reached yet");
            }
        } catch (RuntimeException e) {
            failed.put("cluster", "membership does not answer");
        }
        return failed;
    }

    private volatile boolean joinedOnce;

    /**
     * What the node runs on and how it is doing, for {@code GET /health}.
     *
     * @return an ordered map of facts
     */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", accepting ? "ok" : "stopping");
        m.put("node", nodeName);
        m.put("version", version());
        m.put("uptime_ms", Duration.between(startedAt, Instant.now()).toMillis());
        Map<String, String> providers = new LinkedHashMap<>();
        for (Spi spi : Spi.values()) {
            providers.put(spi.label(), spi == Spi.TRANSPORT ? transportName : config.providerName(spi));
        }
        m.put("providers", providers);
        m.put("transport_address", transportAddress.getHostString() + ":" + transportAddress.getPort());
        m.put("storage_durable", storage.durable());
        m.put("agents", agents.size());
        m.put("memory_budget", Map.of("budget_bytes", memoryBudget.budget(), "in_use_bytes", memoryBudget.inUse(),
                "pooled_bytes", memoryBudget.pooled()));
        Quorum.Status q = quorum.check(membership.members());
        m.put("cluster", Map.of("alive", q.alive(), "quorum", q.quorum(), "partitioned", q.partitioned()));
        return m;
    }

    // ------------------------------------------------------------------ durability

    /**
     * Delivers again what the outbox still holds after a restart, oldest first (so each sender's
     * messages keep their order): what waited past {@code messaging.message_ttl} is dead-lettered,
     * what was handled already (the completion was stored, the removal raced the crash) is dropped.
     */
    private void recoverOutbox() {
        if (ledger == null) {
            return;
        }
        Instant cutoff = Instant.now().minus(config.duration("messaging.message_ttl"));
        List<dev.caxton.spi.storage.StoredMessage> expired;
        long expiredCount = 0;
        do {
            expired = storage.outbox().removeOlderThan(cutoff, 1000);
            for (var m : expired) {
                expiredCount++;
                decode(m).ifPresent(e -> deadLetter(e, "ttl expired: accepted at " + m.at()
                        + " and not handled before the node restarted (messaging.message_ttl "
                        + config.duration("messaging.message_ttl").toMillis() + "ms)"));
            }
        } while (expired.size() == 1000);
        long[] counts = new long[3];
        Duration wait = config.duration("messaging.delivery_timeout").plus(config.duration("messaging.message_ttl"));
        storage.outbox().forEachPending(m -> {
            if (cluster.recover(m)) {
                counts[0]++;
                return;
            }
            Agent a = agents.get(m.receiver());
            var env = decode(m);
            if (env.isEmpty()) {
                ledger.write(List.of(new dev.caxton.spi.storage.StorageWrite.OutboxRemove(m.receiver(), m.id())));
                return;
            }
            if (storage.handled().contains(m.receiver(), m.id())) {
                ledger.write(List.of(new dev.caxton.spi.storage.StorageWrite.OutboxRemove(m.receiver(), m.id())));
                counts[1]++;
                return;
            }
            if (a == null) {
                deadLetter(env.get(), "agent '" + m.receiver() + "' is not deployed on this node after its restart");
                ledger.completed(m.receiver(), m.id(), List.of());
                counts[2]++;
                return;
            }
            if (a.redeliver(env.get(), wait)) {
                counts[0]++;
            }
        });
        if (counts[0] + counts[1] + counts[2] + expiredCount > 0) {
            LOG.log(System.Logger.Level.INFO, "recovered the outbox: {0} messages delivered again, {1} handled already, "
                    + "{2} for agents no longer here, {3} expired", counts[0], counts[1], counts[2], expiredCount);
        }
        recovered = counts[0];
    }

    private volatile long recovered;

    private Optional<Envelope> decode(dev.caxton.spi.storage.StoredMessage m) {
        try {
            return Optional.of(wire.decode(m.envelope()));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "outbox entry {0} for {1} cannot be read ({2}); dropped",
                    m.id(), m.receiver(), e.getMessage());
            return Optional.empty();
        }
    }

    /** Removes, in batches, what storage keeps only for a while. Runs on its own thread. */
    private void cleanUp() {
        try {
            int batches = 0;
            if (ledger != null) {
                Instant cutoff = ledger.dedupCutoff();
                while (storage.handled().removeOlderThan(cutoff, 1000) == 1000 && ++batches < 100) {
                    Thread.yield();
                }
            }
            Instant dlCutoff = Instant.now().minus(config.duration("messaging.dead_letter_ttl"));
            batches = 0;
            while (storage.deadLetters().removeOlderThan(dlCutoff, 1000) == 1000 && ++batches < 100) {
                Thread.yield();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "storage cleanup failed: {0}", e.getMessage());
        }
    }

    /** @return the latencies, rates and categories the node records for metrics */
    public dev.caxton.runtime.metrics.NodeMetrics metrics() {
        return metrics;
    }

    /**
     * Per-agent figures for metrics that {@link AgentInfo} does not carry.
     *
     * @param name            the agent
     * @param memoryBytes     its linear memory's size after its last message
     * @param fuelUsed        fuel its messages used since deploy, 0 when unmetered
     */
    public record AgentUsage(String name, long memoryBytes, long fuelUsed) {
    }

    /** @return every deployed agent's usage, by name */
    public List<AgentUsage> agentUsage() {
        return agents.values().stream().map(a -> new AgentUsage(a.name(), a.memoryBytes(), a.fuelUsedTotal()))
                .sorted(Comparator.comparing(AgentUsage::name)).toList();
    }

    /** @return who runs this node's agents, for its gauges */
    public dev.caxton.runtime.agent.AgentScheduler scheduler() {
        return scheduler;
    }

    /** @return messages waiting in all mailboxes, per priority class in {@link Priority} order */
    public long[] queueDepthByPriority() {
        long[] depth = new long[Priority.values().length];
        for (Agent a : agents.values()) {
            a.addQueueDepths(depth);
        }
        return depth;
    }

    /**
     * @return whether the membership reports gossip convergence times (fed into
     *         {@code metrics().gossipConvergence()})
     */
    public boolean membershipReportsConvergence() {
        return convergenceReported;
    }

    /**
     * @return the membership provider's own counters (dropped packets by reason, protocol events by
     *         kind); empty when it reports none, or when it fails to answer (a scrape must not fail)
     */
    public dev.caxton.spi.membership.MembershipStatistics membershipStatistics() {
        try {
            return membership.statistics();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "membership statistics unavailable: {0}", e.toString());
            return dev.caxton.spi.membership.MembershipStatistics.NONE;
        }
    }

    /**
     * The pool of pre-made instances ({@code runtime.instance_pool.*}): the module cache keeps one
     * pool shape per cached module at most, so a pool never outlives the compiled module it serves.
     */
    private dev.caxton.runtime.agent.InstancePool instancePool(CaxtonConfig config) {
        int size = (int) config.integer("runtime.instance_pool.size");
        int shapes = (int) config.integer("runtime.module_cache_size");
        return new dev.caxton.runtime.agent.InstancePool(new dev.caxton.runtime.agent.InstancePool.Settings(size,
                config.bool("runtime.instance_pool.prewarm"), shapes,
                config.integer("runtime.instance_pool.max_reuse"), config.duration("runtime.instance_pool.recycle_age")),
                poolFiller);
    }

    /** @return counters for metrics */
    public Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("messages_routed", router.routedCount());
        m.put("messages_retried", router.retriedCount());
        m.put("messages_queued", router.budget().used());
        m.put("messages_refused", router.refusedCount());
        m.put("messages_dead_lettered", deadLettered.sum());
        m.put("agent_faults", faults.sum());
        m.put("client_replies_unclaimed", router.unclaimedClientReplies());
        m.put("messages_hop_limited", router.hopLimitedCount());
        m.put("messages_inline", router.inlineCount());
        m.put("conversation_messages_omitted", journal.omittedTotal());
        m.put("clients_waiting", (long) clients.waitingCount());
        m.put("instance_pool_hits", instancePool.hits());
        m.put("instance_pool_misses", instancePool.misses());
        m.put("instance_pool_idle", (long) instancePool.idle());
        m.put("instance_pool_idle_bytes", memoryBudget.pooled());
        m.put("instance_pool_evicted", instancePool.evicted());
        m.put("cluster_frames_rejected", links.rejectedCount());
        Quorum.Status q = quorum.check(membership.members());
        m.put("cluster_nodes_alive", (long) q.alive());
        m.put("cluster_partitioned", q.partitioned() ? 1L : 0L);
        if (ledger != null) {
            m.put("messages_persisted", ledger.stored());
            m.put("messages_duplicate", ledger.duplicates());
            m.put("messages_recovered", recovered);
            m.put("storage_transactions", ledger.commits().transactions());
            m.put("storage_write_failures", ledger.commits().failures());
            long[] o = cluster.outboxCounters();
            m.put("cluster_outbox_waiting", o[0]);
            m.put("cluster_outbox_resent", o[1]);
            m.put("cluster_outbox_confirmed", o[2]);
        }
        return m;
    }

    /** @return the node's version (the runtime module's) */
    public static String version() {
        return CaxtonNode.class.getModule().getDescriptor() != null
                ? CaxtonNode.class.getModule().getDescriptor().rawVersion().orElse("dev")
                : Optional.ofNullable(CaxtonNode.class.getPackage().getImplementationVersion()).orElse("dev");
    }

    /** @return the configuration */
    public CaxtonConfig config() {
        return config;
    }

    /** @return the data directory */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * Writes a consistent copy of the node's storage to a new file while the node keeps running.
     *
     * @param target the file to create; it must not exist
     * @throws UnsupportedOperationException when the storage keeps nothing a file could hold
     * @throws dev.caxton.spi.storage.StorageException when the copy fails
     */
    public void backupStorage(Path target) {
        storage.backup(target);
    }

    /** @return the serializer used for storage and frames */
    public Serializer wireSerializer() {
        return wire;
    }

    private void requireAccepting() {
        if (!accepting) {
            throw new RoutingException(SendStatus.UNKNOWN_RECEIVER, "", "the node is shutting down");
        }
    }

    /**
     * Stops gracefully: refuses new work, leaves the cluster, lets every agent drain its mailbox (up
     * to {@code server.shutdown_timeout}) and closes the providers. Agents stay
     * recorded in storage and come back at the next start.
     */
    @Override
    public void close() {
        accepting = false;
        // Leave first: the others stop routing here while the agents drain below.
        closeQuietly("cluster membership (leaving)", this::leaveCluster);
        Duration timeout = config.duration("server.shutdown_timeout");
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        String reason = "node stopping: not handled within server.shutdown_timeout (" + timeout.toMillis() + "ms)";
        for (Agent a : agents.values()) {
            stopping.add(a.stopForRestart(timeout, reason));
        }
        try {
            CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "agents did not all stop in time: {0}", e.toString());
        }
        agents.clear();
        // Reverse order of start: cluster, clients, router, journal, membership (leaves), transport,
        // engines, storage.
        resources.close();
    }

    private static void closeQuietly(String what, Runnable r) {
        if (r == null) {
            return;
        }
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the {0} failed: {1}", what, e.getMessage());
        }
    }

    /** Persists state changes so a restart brings agents back as they were. */
    private final class Events implements AgentEvents {
        @Override
        public void stateChanged(Agent agent, AgentState state) {
            if (!accepting || state == AgentState.LOADED || state == AgentState.DRAINING) {
                return;
            }
            if (state == AgentState.STOPPED) {
                return;
            }
            if (agents.get(agent.name()) == agent || state == AgentState.FAILED) {
                try {
                    storage.agents().put(record(agent));
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "could not record agent {0}: {1}", agent.name(), e.getMessage());
                }
            }
        }

        @Override
        public void faulted(Agent agent, String reason) {
            faults.increment();
        }

        @Override
        public void processed(Agent agent, long nanos) {
            metrics.processed(nanos);
        }
    }
}
