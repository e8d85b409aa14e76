package dev.caxton.server;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.Conversation;
import dev.caxton.runtime.NotFoundException;
import dev.caxton.runtime.api.AgentLimits;
import dev.caxton.runtime.api.DeployException;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.server.HttpListener.Call;
import dev.caxton.server.HttpListener.Reply;
import dev.caxton.spi.ConfigException;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.InvalidEnvelopeException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running Caxton server: a {@link CaxtonNode} with its management API and metrics endpoint.
 *
 * <p>Every API request must carry the node's token in {@value ApiToken#HEADER}; without it the
 * answer is 401 and nothing changes. On SIGTERM (or SIGINT) the server stops accepting requests,
 * lets agents drain, closes its providers and the process exits with status 0.
 *
 * <p>Waiting requests ({@code wait_ms}) are capped by {@code server.max_waiting_requests} and are
 * cancelled when their client disconnects, so abandoned waits cannot pile up on the node.
 */
public final class CaxtonServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CaxtonServer.class.getName());
    private static final String API = "/api/v1";
    private static final long MAX_WAIT_MS = 300_000;

    private final CaxtonNode node;
    private final TokenStore tokens;
    private final ApiGate gate;
    /** The listeners' TLS, or null on plain HTTP. */
    private final ServerTls tls;
    /** Polls the PEM files at server.tls.reload_interval; null when TLS is off or watching is. */
    private final Thread tlsWatch;
    private final HttpListener api;
    private final HttpListener metrics;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicInteger waiting = new AtomicInteger();
    private final int maxWaiting;
    private final WatTool wat;
    private final StorageBackup backup;
    private final Profiler profiler;
    /** The FIPA HTTP MTP, or null when fipa.http_mtp.enabled is off. */
    private final dev.caxton.fipa.FipaBridge fipa;

    private CaxtonServer(CaxtonNode node, TokenStore tokens) {
        this.node = node;
        this.tokens = tokens;
        this.backup = new StorageBackup(node);
        this.profiler = new Profiler(node, executor);
        CaxtonConfig config = node.config();
        this.maxWaiting = (int) config.integer("server.max_waiting_requests");
        String home = System.getProperty("caxton.home");
        this.wat = WatTool.find(home == null ? null : Path.of(home)).orElse(null);
        HttpListener.Limits limits = new HttpListener.Limits((int) config.integer("server.max_connections"),
                config.size("server.max_request_size"), config.duration("server.request_timeout").toMillis(),
                config.duration("server.idle_timeout").toMillis(), (int) config.size("server.max_header_size"),
                config.bool("server.http2_enabled"), (int) config.integer("server.http2_max_streams"));
        this.gate = new ApiGate(tokens, config, System::nanoTime);
        this.tls = ServerTls.load(config, limits.http2());
        this.api = new HttpListener(config.string("server.host"), (int) config.integer("server.port"), limits,
                this::handleApi, executor, "api", tls == null ? null : tls::context);
        HttpListener m = null;
        if (config.bool("server.metrics_enabled")) {
            try {
                m = new HttpListener(config.string("server.host"), (int) config.integer("server.metrics_port"),
                        limits, this::handleMetrics, executor, "metrics",
                        tls == null || !config.bool("server.tls.metrics") ? null : tls::context);
            } catch (RuntimeException e) {
                api.close();
                throw e;
            }
        }
        this.metrics = m;
        dev.caxton.fipa.FipaBridge f = null;
        if (config.bool("fipa.http_mtp.enabled")) {
            try {
                f = dev.caxton.fipa.FipaBridge.start(node, config);
            } catch (IOException | RuntimeException e) {
                api.close();
                if (m != null) {
                    m.close();
                }
                if (e instanceof ConfigException c) {
                    throw c;
                }
                throw new IllegalStateException("cannot serve the FIPA HTTP MTP on " + config.string("fipa.http_mtp.host")
                        + ":" + config.integer("fipa.http_mtp.port") + ": " + e.getMessage(), e);
            }
        }
        this.fipa = f;
        long every = config.duration("server.tls.reload_interval").toMillis();
        var mtpTls = f == null ? null : f.tls();
        this.tlsWatch = (tls == null && mtpTls == null) || every == 0 ? null : Thread.ofVirtual().name("caxton-tls-watch").start(() -> {
            try {
                while (!closing.get()) {
                    Thread.sleep(every);
                    if (tls != null) {
                        tls.poll();
                    }
                    // The MTP's own files, watched the same way and at the same interval.
                    if (mtpTls != null) {
                        mtpTls.poll();
                    }
                }
            } catch (InterruptedException e) {
                // Closing.
            }
        });
    }

    /**
     * Starts a node and its server.
     *
     * @param config          the configuration
     * @param dataDirOverride the data directory from the command line, or null for the configured one
     * @param catalog         the providers
     * @return the running server
     * @throws ConfigException when the configuration selects something that does not exist
     * @throws IllegalStateException when a port is taken or the token cannot be written
     */
    public static CaxtonServer start(CaxtonConfig config, Path dataDirOverride, PluginCatalog catalog) {
        Path dataDir = dataDirOverride != null ? dataDirOverride : config.dataDir();
        NodeLog.install(NodeLog.Format.valueOf(config.string("observability.logging.format").toUpperCase(java.util.Locale.ROOT)),
                config.string("observability.log_level"));
        TokenStore token;
        try {
            token = TokenStore.load(dataDir.resolve(config.string("security.token_file")),
                    dataDir.resolve(config.string("security.tokens_file")), java.time.Clock.systemUTC());
        } catch (IOException e) {
            throw new IllegalStateException("cannot create or read the API tokens under " + dataDir + ": " + e.getMessage(), e);
        }
        CaxtonNode node = CaxtonNode.start(config, catalog, dataDir);
        CaxtonServer server;
        try {
            server = new CaxtonServer(node, token);
        } catch (ConfigException e) {
            node.close();
            throw e;
        } catch (RuntimeException e) {
            node.close();
            // Netty reports a taken port as a checked BindException thrown sneakily; name the ports.
            throw new IllegalStateException("cannot listen on " + config.string("server.host") + ":"
                    + config.integer("server.port") + " or metrics port " + config.integer("server.metrics_port")
                    + ": " + e.getMessage(), e);
        }
        node.advertiseApi(server.apiUri().getHost() + ":" + server.apiUri().getPort());
        LOG.log(System.Logger.Level.INFO, "caxton {0} node {1} serving the API at {2}{3}; data in {4}",
                CaxtonNode.version(), config.string("server.node_name"), server.apiUri(),
                server.metrics == null ? "" : ", metrics at " + server.metricsUri(), dataDir.toAbsolutePath());
        return server;
    }

    /**
     * Sets the level of the node's log (java.util.logging, where System.Logger writes by default).
     *
     * @param level one of trace, debug, info, warn, error
     */
    public static void configureLogging(String level) {
        java.util.logging.Level l = switch (level) {
            case "trace" -> java.util.logging.Level.FINEST;
            case "debug" -> java.util.logging.Level.FINE;
            case "warn" -> java.util.logging.Level.WARNING;
            case "error" -> java.util.logging.Level.SEVERE;
            default -> java.util.logging.Level.INFO;
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(l);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(l);
        }
    }

    /**
     * Makes SIGTERM and SIGINT shut this server down gracefully and exit the process with 0.
     * Only the command-line launcher calls this; embedding applications keep their own signals.
     */
    public void exitOnSignals() {
        for (String sig : List.of("TERM", "INT")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> Thread.ofPlatform().start(() -> {
                    LOG.log(System.Logger.Level.INFO, "SIG{0}: stopping gracefully", sig);
                    close();
                    System.exit(0);
                }));
            } catch (IllegalArgumentException e) {
                LOG.log(System.Logger.Level.DEBUG, "signal {0} not available: {1}", sig, e.getMessage());
            }
        }
    }

    /** Blocks until the server has shut down. */
    public void awaitTermination() {
        try {
            terminated.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return the API's base address, e.g. {@code http://127.0.0.1:8080} */
    public URI apiUri() {
        return URI.create((tls != null ? "https://" : "http://") + hostOf(api.address()) + ":" + api.address().getPort());
    }

    /** @return the metrics address, or null when metrics are disabled */
    public URI metricsUri() {
        return metrics == null ? null : URI.create((tls != null && node.config().bool("server.tls.metrics") ? "https://" : "http://")
                + hostOf(metrics.address()) + ":"
                + metrics.address().getPort() + "/metrics");
    }

    private static String hostOf(InetSocketAddress a) {
        String h = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return h.contains(":") ? "[" + h + "]" : h;
    }

    /** @return the node behind the server */
    public CaxtonNode node() {
        return node;
    }

    /** @return API requests waiting for a reply now (the {@code caxton_api_waiting_requests} gauge) */
    public int waitingRequests() {
        return waiting.get();
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitTermination();
            return;
        }
        try {
            if (tlsWatch != null) {
                tlsWatch.interrupt();
            }
            api.close();
            if (metrics != null) {
                metrics.close();
            }
            if (fipa != null) {
                fipa.close();
            }
            node.close();
            executor.shutdownNow();
            LOG.log(System.Logger.Level.INFO, "stopped");
        } finally {
            terminated.countDown();
        }
    }

    // ------------------------------------------------------------------ handlers

    private CompletableFuture<Reply> handleMetrics(Call call) {
        String path = call.uri();
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        if (!path.equals("/metrics")) {
            return CompletableFuture.completedFuture(Reply.json(404, error("no such endpoint: " + path
                    + "; metrics are at /metrics", Map.of()), Map.of()));
        }
        if (!call.method().equals("GET")) {
            return CompletableFuture.completedFuture(Reply.json(405, error("method " + call.method()
                    + " not allowed here; use GET", Map.of()), Map.of("Allow", "GET")));
        }
        // Text 0.0.4 unless the scraper asks for OpenMetrics (Prometheus does by default).
        var format = dev.caxton.runtime.metrics.Exposition.Format.negotiate(call.header().apply("Accept"));
        byte[] body = Metrics.render(node, waiting.get(), format,
                (int) node.config().integer("observability.metrics_max_agent_series"),
                fipa == null ? Map.of() : fipa.counters(), tls == null ? null : tls.notAfter(),
                fipa == null || fipa.tls() == null ? null : fipa.tls().notAfter()).getBytes(StandardCharsets.UTF_8);
        return CompletableFuture.completedFuture(new Reply(200, format.contentType(), body, Map.of("Vary", "Accept")));
    }

    /** @return the FIPA MTP's bound port, or -1 when it is off */
    int fipaPort() {
        return fipa == null ? -1 : fipa.port();
    }

    /**
     * {@code POST /tls/reload}: the API's pair (its outcome at the top level, as before the MTP had
     * TLS) and the FIPA MTP's (under {@code fipa_mtp}); 422 when either was refused, naming the file.
     */
    private Reply reloadTls() {
        var mtp = fipa == null ? null : fipa.tls();
        if (tls == null && mtp == null) {
            throw new ApiError(409, "TLS is off (server.tls.cert_file and server.tls.key_file are empty, and so are "
                    + "fipa.http_mtp.tls.cert_file and key_file); nothing to reload");
        }
        var api = tls == null ? null : tls.reload();
        var m = mtp == null ? null : mtp.reload();
        Map<String, Object> body = new java.util.LinkedHashMap<>(api == null ? Map.of() : api.json());
        if (m != null) {
            body.put("fipa_mtp", m.json());
        }
        String failed = api != null && api.error() != null ? api.error()
                : m != null && m.error() != null ? m.error() : null;
        return failed == null ? Reply.json(200, body, Map.of())
                : Reply.json(422, error("the new certificate was not loaded; the one in use stays: " + failed, body), Map.of());
    }

    private CompletableFuture<Reply> handleApi(Call call) {
        try {
            String raw = call.uri();
            String path = raw.indexOf('?') < 0 ? raw : raw.substring(0, raw.indexOf('?'));
            if (!path.startsWith(API + "/")) {
                return CompletableFuture.completedFuture(Reply.json(404, error("no such endpoint: " + path
                        + "; the API lives under " + API + "/", Map.of()), Map.of()));
            }
            // Rate limits, the token and its role come before anything else about the request, even
            // whether its path parses; only the probes answer without a token.
            String bare = path.replaceAll("/+$", "");
            boolean probe = bare.equals(API + "/health") || bare.equals(API + "/ready");
            var who = gate.admit(call, path, probe);
            if (probe && (who.isEmpty() || bare.equals(API + "/ready"))) {
                return CompletableFuture.completedFuture(probe(call.method(), bare));
            }
            URI uri;
            try {
                uri = new URI(raw);
            } catch (URISyntaxException e) {
                throw new ApiError(400, "the request path is not a valid URI (" + e.getReason()
                        + " at index " + e.getIndex() + "); percent-encode special characters as %XX");
            }
            if (path.replaceAll("/+$", "").equals(API + "/storage/backup")) {
                // Answered with a file rather than JSON, so outside route().
                return CompletableFuture.completedFuture(backup.handle(call.method()));
            }
            String trimmed = path.replaceAll("/+$", "");
            if (trimmed.equals(API + "/profile") || trimmed.startsWith(API + "/profile/")) {
                // A recording is answered with a file, later: outside route() too.
                return chained(profiler.handle(call.method(), trimmed.substring((API + "/profile").length()), uri.getRawQuery()),
                        (r, t) -> t == null ? r : failure(call, unwrap(t)));
            }
            if (trimmed.equals(API + "/tls/reload")) {
                only(call.method(), "POST");
                return CompletableFuture.completedFuture(reloadTls());
            }
            if (trimmed.equals(API + "/diagnostics")) {
                only(call.method(), "GET");
                return CompletableFuture.completedFuture(Reply.json(200, Diagnostics.snapshot(node), Map.of()));
            }
            return chained(route(call.method(), uri, call), (r, t) -> t == null
                    ? Reply.json(r.status(), r.body(), Map.of()) : failure(call, unwrap(t)));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(failure(call, e));
        }
    }

    /**
     * {@code source.handle(fn)}, except that cancelling the result cancels the source too: a client
     * that disconnects cancels the last future in the chain, and the node's wait is the first.
     */
    static <T, U> CompletableFuture<U> chained(CompletableFuture<T> source, java.util.function.BiFunction<T, Throwable, U> fn) {
        CompletableFuture<U> result = source.handle(fn);
        result.whenComplete((r, t) -> {
            if (result.isCancelled()) {
                source.cancel(true);
            }
        });
        return result;
    }

    static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The JSON error for a failed request; unexpected failures are logged under an id the client sees. */
    static Reply failure(Call call, Throwable t) {
        return switch (t) {
            case ApiError e -> Reply.json(e.status, error(e.getMessage(), e.details), e.headers);
            case DeployException e -> Reply.json(switch (e.kind()) {
                case NOT_FOUND -> 404;
                case CONFLICT -> 409;
                case CAPACITY -> 503;
                case INVALID_MODULE, INVALID_REQUEST -> 400;
            }, error(e.getMessage(), Map.of("kind", e.kind().name().toLowerCase(Locale.ROOT))), Map.of());
            case RoutingException e -> Reply.json(e.status().httpStatus(), error(e.getMessage(), e.field().isEmpty()
                    ? Map.of("status", e.status().name().toLowerCase(Locale.ROOT))
                    : Map.of("field", e.field(), "status", e.status().name().toLowerCase(Locale.ROOT))), Map.of());
            case NotFoundException e -> Reply.json(404, error(e.getMessage(), Map.of()), Map.of());
            case InvalidEnvelopeException e -> Reply.json(400, error(e.getMessage(), Map.of("field", e.field())), Map.of());
            // Storage could not record an accepted message: the client should retry (with the same
            // message_id, which the node then recognises if the first attempt did get stored).
            case dev.caxton.runtime.NodeException e -> Reply.json(503, error(e.getMessage(), Map.of("kind", "storage")),
                    Map.of("Retry-After", "1"));
            default -> {
                // Class names and stack traces stay in the log; the client gets an id to quote.
                String id = UUID.randomUUID().toString().substring(0, 8);
                LOG.log(System.Logger.Level.ERROR, "request " + call.method() + " " + call.uri()
                        + " failed (error id " + id + ")", t);
                yield Reply.json(500, error("internal error (error id " + id + "; the node's log has the details)",
                        Map.of("error_id", id)), Map.of());
            }
        };
    }

    static Map<String, Object> error(String message, Map<String, Object> details) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        m.put("details", details);
        return m;
    }

    private record Response(int status, Object body) {
    }

    /** Routes one API request; only a send with {@code wait_ms} answers later than it returns. */
    private CompletableFuture<Response> route(String method, URI uri, Call call) {
        return switch (method) {
            case "POST" -> uri.getRawPath().replaceAll("/+$", "").equals(API + "/messages")
                    ? send(Json.object(call.body())) : CompletableFuture.completedFuture(routeNow(method, uri, call));
            default -> CompletableFuture.completedFuture(routeNow(method, uri, call));
        };
    }

    /** {@code GET|PUT /api/v1/config/logging}: the live log level (the file is not changed). */
    private Response logging(String method, Call ex) {
        if (method.equals("PUT")) {
            Map<String, Object> b = Json.object(ex.body());
            unknownFields(b, Set.of("level"), "");
            Object level = b.get("level");
            if (!(level instanceof String l)) {
                throw new ApiError(400, "field 'level': required, one of trace, debug, info, warn, error");
            }
            try {
                NodeLog.setLevel(l);
            } catch (IllegalArgumentException e) {
                throw new ApiError(400, "field 'level': " + e.getMessage());
            }
            LOG.log(System.Logger.Level.INFO, "log level set to {0} through the API", l);
        } else {
            only(method, "GET", "PUT");
        }
        return new Response(200, Map.of("level", NodeLog.level(),
                "format", NodeLog.format().name().toLowerCase(java.util.Locale.ROOT)));
    }

    private Response routeNow(String method, URI uri, Call ex) {
        String path = uri.getRawPath();
        if (path.endsWith("/") && path.length() > API.length() + 1) {
            path = path.substring(0, path.length() - 1);
        }
        String rest = path.substring(API.length());
        String[] parts = rest.split("/");
        // parts[0] is "" (path starts with '/')
        String first = parts.length > 1 ? parts[1] : "";
        switch (first) {
            case "config" -> {
                if (parts.length == 3 && parts[2].equals("logging")) {
                    return logging(method, ex);
                }
            }
            case "traces" -> {
                if (parts.length == 3) {
                    only(method, "GET");
                    return new Response(200, Json.trace(decode(parts[2]), node.tracingEnabled(), node.clusterTrace(decode(parts[2]))));
                }
            }
            case "health" -> {
                only(method, "GET");
                return new Response(200, node.status());
            }
            case "agents" -> {
                if (parts.length == 2) {
                    if (method.equals("GET")) {
                        String all = stringParam(uri, "all");
                        if (all != null && !all.equals("true") && !all.equals("false")) {
                            throw new ApiError(400, "query parameter 'all' must be true or false, got '" + all + "'");
                        }
                        if ("true".equals(all)) {
                            // The whole cluster, from the directory: each entry names the node it runs on.
                            return new Response(200, Map.of("agents", node.clusterAgents()));
                        }
                        return new Response(200, Map.of("agents", node.agents().stream().map(Json::agent).toList()));
                    }
                    only(method, "POST", "GET");
                    return new Response(201, Json.agent(node.deploy(deploySpec(Json.object(ex.body())))));
                }
                String name = decode(parts[2]);
                if (parts.length == 3) {
                    if (method.equals("GET")) {
                        return new Response(200, Json.agent(node.agent(name).orElseThrow(
                                () -> new ApiError(404, "agent '" + name + "' not found", Map.of("kind", "not_found")))));
                    }
                    only(method, "DELETE", "GET");
                    node.undeploy(name);
                    return new Response(200, Map.of("name", name, "state", "stopped"));
                }
                if (parts.length == 4 && parts[3].equals("module")) {
                    only(method, "PUT");
                    Map<String, Object> b = Json.object(ex.body());
                    unknownFields(b, Set.of("wasm_module", "wat_module", "keep_state"), "");
                    Boolean keep = bool(b, "keep_state");
                    return new Response(200, Json.agent(node.reload(name, module(b), keep != null && keep)));
                }
            }
            case "messages" -> {
                if (parts.length == 2) {
                    // POST is answered by route(); anything else lands here.
                    only(method, "POST");
                }
            }
            case "dead-letters" -> {
                if (parts.length == 4 && parts[3].equals("replay")) {
                    only(method, "POST");
                    Envelope replayed = node.replayDeadLetter(decode(parts[2]));
                    return new Response(200, Map.of("replayed", decode(parts[2]), "message_id", replayed.messageId()));
                }
                only(method, "GET");
                int limit = intParam(uri, "limit", 100, 1, 10_000);
                return new Response(200, Map.of("dead_letters", node.deadLetters(limit).stream().map(Json::deadLetter).toList(),
                        "total", node.deadLetterCount()));
            }
            case "conversations" -> {
                if (parts.length == 3) {
                    only(method, "GET");
                    return new Response(200, Json.conversation(node.conversation(decode(parts[2]),
                            stringParam(uri, "cursor"), intParam(uri, "limit", Conversation.DEFAULT_PAGE, 1, Conversation.MAX_PAGE))));
                }
            }
            case "tokens" -> {
                return new Response(200, tokensApi(method, parts, ex));
            }
            case "capabilities" -> {
                only(method, "GET");
                return new Response(200, Map.of("capabilities", node.capabilities()));
            }
            case "cluster" -> {
                if (parts.length == 3 && parts[2].equals("leave")) {
                    only(method, "POST");
                    boolean left = node.leaveCluster();
                    return new Response(200, Map.of("node", node.config().string("server.node_name"), "left", left,
                            "state", "left"));
                }
                if (parts.length == 3 && parts[2].equals("members")) {
                    only(method, "GET");
                    return new Response(200, Map.of("members", MemberView.render(node.members(),
                            node.config().string("server.node_name"), java.time.Instant.now()),
                            "partition", node.status().get("cluster")));
                }
            }
            default -> {
            }
        }
        throw new ApiError(404, "no such endpoint: " + method + " " + path);
    }

    /**
     * The probes as anyone may ask them: liveness is "the process serves requests"; readiness
     * names each failed check. Neither says more (no version, names or addresses).
     */
    private Reply probe(String method, String path) {
        if (!method.equals("GET")) {
            return Reply.json(405, error("method " + method + " not allowed here; use GET", Map.of()), Map.of("Allow", "GET"));
        }
        if (path.endsWith("/health")) {
            return Reply.json(200, Map.of("status", "ok"), Map.of());
        }
        Map<String, String> failed = node.readiness();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", failed.isEmpty());
        body.put("not_ready", failed);
        return Reply.json(failed.isEmpty() ? 200 : 503, body, Map.of());
    }

    /** {@code /tokens}: list, create, rotate and revoke named tokens (admin only, by the gate). */
    private Object tokensApi(String method, String[] parts, Call ex) {
        try {
            if (parts.length == 2) {
                if (method.equals("GET")) {
                    return Map.of("tokens", tokens.list());
                }
                only(method, "GET", "POST");
                Map<String, Object> b = Json.object(ex.body());
                unknownFields(b, Set.of("name", "role"), "");
                String name = str(b, "name", true);
                TokenStore.Role role;
                try {
                    role = TokenStore.Role.parse(str(b, "role", true));
                } catch (IllegalArgumentException e) {
                    throw new ApiError(400, e.getMessage(), Map.of("field", "role"));
                }
                String secret = tokens.create(name, role);
                LOG.log(System.Logger.Level.INFO, "API token ''{0}'' created with role {1}", name, role.label());
                return Map.of("name", name, "role", role.label(), "token", secret);
            }
            String name = decode(parts[2]);
            if (parts.length == 3) {
                only(method, "DELETE");
                tokens.revoke(name);
                LOG.log(System.Logger.Level.INFO, "API token ''{0}'' revoked", name);
                return Map.of("name", name, "revoked", true);
            }
            if (parts.length == 4 && parts[3].equals("rotate")) {
                only(method, "POST");
                Map<String, Object> b = ex.body().length == 0 ? Map.of() : Json.object(ex.body());
                unknownFields(b, Set.of("grace_ms"), "");
                Object g = b.getOrDefault("grace_ms", 600_000L);
                if (!(g instanceof Long grace) || grace < 0 || grace > 30L * 86_400_000) {
                    throw new ApiError(400, "field 'grace_ms' must be a whole number of milliseconds from 0 to 30 days",
                            Map.of("field", "grace_ms"));
                }
                Map<String, Object> out = tokens.rotate(name, Duration.ofMillis(grace));
                LOG.log(System.Logger.Level.INFO, "API token ''{0}'' rotated; the previous secret is accepted until {1}",
                        name, out.get("previous_valid_until") == null ? "now (no grace)" : out.get("previous_valid_until"));
                return out;
            }
            throw new ApiError(404, "no such endpoint: " + method + " " + String.join("/", parts));
        } catch (IOException e) {
            throw new ApiError(500, "the tokens file could not be written: " + e.getMessage());
        }
    }

    private static void only(String method, String... allowed) {
        if (!List.of(allowed).contains(method)) {
            throw new ApiError(405, "method " + method + " not allowed here; use " + String.join(" or ", allowed),
                    Map.of(), Map.of("Allow", String.join(", ", allowed)));
        }
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "bad percent-encoding in '" + s + "': use %XX with two hex digits");
        }
    }

    private static String stringParam(URI uri, String name) {
        String q = uri.getRawQuery();
        if (q != null) {
            for (String kv : q.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0 && decode(kv.substring(0, eq)).equals(name)) {
                    return decode(kv.substring(eq + 1));
                }
            }
        }
        return null;
    }

    private static int intParam(URI uri, String name, int def, int min, int max) {
        String q = uri.getRawQuery();
        if (q == null) {
            return def;
        }
        for (String kv : q.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && decode(kv.substring(0, eq)).equals(name)) {
                String v = decode(kv.substring(eq + 1));
                try {
                    int n = Integer.parseInt(v);
                    if (n < min || n > max) {
                        throw new ApiError(400, "query parameter '" + name + "' must be " + min + " to " + max);
                    }
                    return n;
                } catch (NumberFormatException e) {
                    throw new ApiError(400, "query parameter '" + name + "' must be a whole number, got '" + v + "'");
                }
            }
        }
        return def;
    }

    // ------------------------------------------------------------------ agents

    private static final Set<String> DEPLOY_FIELDS = Set.of("name", "wasm_module", "wat_module", "capabilities",
            "limits", "codec", "engine", "permissions", "durable", "wasi", "wasi_args", "wasi_env", "extism_function",
            "config", "extism_allow_hosts");
    private static final Set<String> LIMIT_FIELDS = Set.of("memory_bytes", "execution_timeout_ms", "fuel", "cpu_share");

    private DeploySpec deploySpec(Map<String, Object> b) {
        unknownFields(b, DEPLOY_FIELDS, "");
        String name = str(b, "name", true);
        byte[] module = module(b);
        List<String> caps = strings(b, "capabilities");
        AgentLimits limits = null;
        Object l = b.get("limits");
        if (l != null) {
            if (!(l instanceof Map<?, ?> lm)) {
                throw new ApiError(400, "field 'limits' must be an object", Map.of("field", "limits"));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> lim = (Map<String, Object>) lm;
            unknownFields(lim, LIMIT_FIELDS, "limits.");
            AgentLimits d = node.limitsFor(name);
            limits = new AgentLimits(
                    longField(lim, "memory_bytes", d.memoryBytes()),
                    Duration.ofMillis(longField(lim, "execution_timeout_ms", d.executionTimeout().toMillis())),
                    longField(lim, "fuel", d.fuel()),
                    cpuShare(longField(lim, "cpu_share", d.cpuShare())));
        }
        List<String> perms = b.containsKey("permissions") ? strings(b, "permissions") : null;
        return new DeploySpec(name, module, caps, limits, str(b, "codec", false), str(b, "engine", false),
                perms == null ? null : new HashSet<>(perms), bool(b, "durable"), Boolean.TRUE.equals(bool(b, "wasi")),
                strings(b, "wasi_args"), stringMap(b, "wasi_env"), extismSettings(b));
    }

    // Range-checked here, before the narrowing, so that 2^32+100 is refused by name instead of wrapping to 100.
    private static int cpuShare(long share) {
        if (share < AgentLimits.MIN_CPU_SHARE || share > AgentLimits.MAX_CPU_SHARE) {
            throw new ApiError(400, "field 'limits.cpu_share' is " + share + ", outside the allowed range "
                    + AgentLimits.MIN_CPU_SHARE + " to " + AgentLimits.MAX_CPU_SHARE, Map.of("field", "limits.cpu_share"));
        }
        return (int) share;
    }

    /** The Extism fields of a deployment: null for a Caxton agent. */
    private static dev.caxton.runtime.api.ExtismSettings extismSettings(Map<String, Object> b) {
        String function = str(b, "extism_function", false);
        Object config = b.get("config");
        if (function == null) {
            if (config != null || b.get("extism_allow_hosts") != null) {
                String field = config != null ? "config" : "extism_allow_hosts";
                throw new ApiError(400, "field '" + field + "' is for Extism plugins: give 'extism_function' too",
                        Map.of("field", field));
            }
            return null;
        }
        Map<String, String> entries = new java.util.LinkedHashMap<>();
        if (config != null) {
            if (!(config instanceof Map<?, ?> cm)) {
                throw new ApiError(400, "field 'config' must be an object of strings", Map.of("field", "config"));
            }
            for (Map.Entry<?, ?> e : cm.entrySet()) {
                if (!(e.getValue() instanceof String v)) {
                    throw new ApiError(400, "field 'config." + e.getKey() + "' must be a string", Map.of("field", "config." + e.getKey()));
                }
                entries.put(String.valueOf(e.getKey()), v);
            }
        }
        return new dev.caxton.runtime.api.ExtismSettings(function, entries, strings(b, "extism_allow_hosts"));
    }

    private byte[] module(Map<String, Object> b) {
        String wasm = str(b, "wasm_module", false);
        String text = str(b, "wat_module", false);
        if ((wasm == null) == (text == null)) {
            throw new ApiError(400, "give exactly one of 'wasm_module' (base64 binary) or 'wat_module' (WAT text)",
                    Map.of("field", "wasm_module"));
        }
        if (wasm != null) {
            try {
                return Base64.getDecoder().decode(wasm.strip());
            } catch (IllegalArgumentException e) {
                throw new ApiError(400, "field 'wasm_module' is not valid base64: " + e.getMessage(), Map.of("field", "wasm_module"));
            }
        }
        if (wat == null) {
            throw new ApiError(400, "this server has no WAT compiler (tools/wat is missing); send the compiled module as 'wasm_module'",
                    Map.of("field", "wat_module"));
        }
        try {
            return wat.compile(text);
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, e.getMessage(), Map.of("field", "wat_module"));
        }
    }

    private static void unknownFields(Map<String, Object> b, Set<String> known, String prefix) {
        for (String k : b.keySet()) {
            if (!known.contains(k)) {
                throw new ApiError(400, "unknown field '" + prefix + k + "'; known fields: "
                        + String.join(", ", known.stream().sorted().toList()), Map.of("field", prefix + k));
            }
        }
    }

    private static String str(Map<String, Object> b, String field, boolean required) {
        Object v = b.get(field);
        if (v == null) {
            if (required) {
                throw new ApiError(400, "field '" + field + "' is required", Map.of("field", field));
            }
            return null;
        }
        if (!(v instanceof String s)) {
            throw new ApiError(400, "field '" + field + "' must be a string", Map.of("field", field));
        }
        return s;
    }

    private static Boolean bool(Map<String, Object> b, String field) {
        Object v = b.get(field);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Boolean x)) {
            throw new ApiError(400, "field '" + field + "' must be true or false", Map.of("field", field));
        }
        return x;
    }

    private static List<String> strings(Map<String, Object> b, String field) {
        Object v = b.get(field);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l) || !l.stream().allMatch(String.class::isInstance)) {
            throw new ApiError(400, "field '" + field + "' must be a list of strings", Map.of("field", field));
        }
        return l.stream().map(String.class::cast).toList();
    }

    /** An object whose values are all strings, in the order given; empty when absent. */
    private static Map<String, String> stringMap(Map<String, Object> b, String field) {
        Object v = b.get(field);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> m) || !m.values().stream().allMatch(String.class::isInstance)) {
            throw new ApiError(400, "field '" + field + "' must be an object whose values are strings",
                    Map.of("field", field));
        }
        Map<String, String> out = new java.util.LinkedHashMap<>();
        m.forEach((k, val) -> out.put((String) k, (String) val));
        return out;
    }

    private static long longField(Map<String, Object> b, String field, long def) {
        Object v = b.get(field);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Long n) || n < 0) {
            throw new ApiError(400, "field 'limits." + field + "' must be a non-negative whole number",
                    Map.of("field", "limits." + field));
        }
        return n;
    }

    // ------------------------------------------------------------------ messages

    private CompletableFuture<Response> send(Map<String, Object> b) {
        Object w = b.remove("wait_ms");
        Envelope e = EnvelopeFields.fromMap(b);
        refuseFailedReceiver(e);
        if (w == null) {
            Envelope routed = node.send(e);
            if (routed.traceparent() != null) {
                // Traced: the client learns the trace it can look up (GET /api/v1/traces/{message_id}).
                return CompletableFuture.completedFuture(new Response(202, Map.of("message_id", routed.messageId(),
                        "accepted", true, "traceparent", routed.traceparent())));
            }
            return CompletableFuture.completedFuture(new Response(202, Map.of("message_id", routed.messageId(), "accepted", true)));
        }
        if (!(w instanceof Long waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS) {
            throw new ApiError(400, "field 'wait_ms' must be a whole number from 0 to " + MAX_WAIT_MS, Map.of("field", "wait_ms"));
        }
        if (e.messageId() == null) {
            e = e.withMessageId(node.newMessageId());
        }
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            throw new ApiError(503, "too many requests are waiting for replies (server.max_waiting_requests is "
                    + maxWaiting + "); try again later or send without wait_ms", Map.of(), Map.of("Retry-After", "1"));
        }
        CompletableFuture<Envelope> reply;
        try {
            // The handler waits for the reply anyway: an idle agent may run the message on this thread.
            reply = node.request(e, Duration.ofMillis(waitMs), true);
        } catch (RuntimeException ex) {
            waiting.decrementAndGet();
            throw ex;
        }
        // Whatever ends the wait (reply, timeout, a client that went away) frees its place.
        reply.whenComplete((r, t) -> waiting.decrementAndGet());
        // The node always completes a wait at wait_ms; the margin only guards against a lost completion.
        reply.orTimeout(waitMs + 5000, TimeUnit.MILLISECONDS);
        String id = e.messageId();
        // Cancelling the answer (the client disconnected) must reach the node's wait, which
        // then unregisters the temporary client name at once instead of at wait_ms.
        return chained(reply, (r, t) -> {
            if (t != null) {
                Throwable c = unwrap(t);
                if (c instanceof TimeoutException) {
                    throw new ApiError(504, "no reply within wait_ms + 5 s");
                }
                if (c instanceof CancellationException) {
                    throw new ApiError(503, "the wait was cancelled");
                }
                throw new CompletionException(c);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("message_id", id);
            out.put("reply", Json.envelope(r));
            return new Response(200, out);
        });
    }

    /** A failed agent takes no messages until reloaded: refuse rather than queue into a dead mailbox. */
    private void refuseFailedReceiver(Envelope e) {
        if (e.receiver() == null) {
            return;
        }
        node.agent(e.receiver()).filter(a -> a.state().label().equals("failed")).ifPresent(a -> {
            throw new ApiError(404, "agent '" + a.name() + "' is failed (it faulted too often) and takes no messages"
                    + " until its module is reloaded (PUT /agents/" + a.name() + "/module)",
                    Map.of("field", "receiver", "status", "unknown_receiver"));
        });
    }
}
