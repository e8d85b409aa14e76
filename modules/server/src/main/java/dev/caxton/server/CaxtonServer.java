package dev.caxton.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.Conversation;
import dev.caxton.runtime.NotFoundException;
import dev.caxton.runtime.agent.AgentLimits;
import dev.caxton.runtime.agent.DeployException;
import dev.caxton.runtime.agent.DeploySpec;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.routing.RoutingException;
import dev.caxton.spi.ConfigException;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;
import dev.caxton.spi.message.InvalidEnvelopeException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running Caxton server: a {@link CaxtonNode} with its management API and metrics endpoint.
 *
 * <p>Every API request must carry the node's token in {@value ApiToken#HEADER}; without it the
 * answer is 401 and nothing changes. On SIGTERM (or SIGINT) the server stops accepting requests,
 * lets agents drain, closes its providers and the process exits with status 0.
 */
public final class CaxtonServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CaxtonServer.class.getName());
    private static final String API = "/api/v1";
    private static final long MAX_WAIT_MS = 300_000;

    private final CaxtonNode node;
    private final ApiToken token;
    private final HttpServer api;
    private final HttpServer metrics;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicBoolean closing = new AtomicBoolean();
    private final long maxBody;
    private final WatTool wat;

    private CaxtonServer(CaxtonNode node, ApiToken token) throws IOException {
        this.node = node;
        this.token = token;
        CaxtonConfig config = node.config();
        this.maxBody = config.size("server.max_request_size");
        String home = System.getProperty("caxton.home");
        this.wat = WatTool.find(home == null ? null : Path.of(home)).orElse(null);
        this.api = HttpServer.create(new InetSocketAddress(config.string("server.host"),
                (int) config.integer("server.port")), 128);
        api.setExecutor(executor);
        api.createContext(API + "/", this::handleApi);
        api.createContext("/", this::handleUnknown);
        if (config.bool("server.metrics_enabled")) {
            metrics = HttpServer.create(new InetSocketAddress(config.string("server.host"),
                    (int) config.integer("server.metrics_port")), 32);
            metrics.setExecutor(executor);
            metrics.createContext("/metrics", this::handleMetrics);
        } else {
            metrics = null;
        }
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
        configureLogging(config.string("observability.log_level"));
        ApiToken token;
        try {
            token = ApiToken.loadOrCreate(dataDir.resolve(config.string("security.token_file")));
        } catch (IOException e) {
            throw new IllegalStateException("cannot create or read the API token under " + dataDir + ": " + e.getMessage(), e);
        }
        CaxtonNode node = CaxtonNode.start(config, catalog, dataDir);
        CaxtonServer server;
        try {
            server = new CaxtonServer(node, token);
        } catch (IOException e) {
            node.close();
            throw new IllegalStateException("cannot listen on " + config.string("server.host") + ":"
                    + config.integer("server.port") + " or metrics port " + config.integer("server.metrics_port")
                    + ": " + e.getMessage(), e);
        }
        server.api.start();
        if (server.metrics != null) {
            server.metrics.start();
        }
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
        return URI.create("http://" + hostOf(api.getAddress()) + ":" + api.getAddress().getPort());
    }

    /** @return the metrics address, or null when metrics are disabled */
    public URI metricsUri() {
        return metrics == null ? null : URI.create("http://" + hostOf(metrics.getAddress()) + ":"
                + metrics.getAddress().getPort() + "/metrics");
    }

    private static String hostOf(InetSocketAddress a) {
        String h = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return h.contains(":") ? "[" + h + "]" : h;
    }

    /** @return the node behind the server */
    public CaxtonNode node() {
        return node;
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitTermination();
            return;
        }
        try {
            api.stop(0);
            if (metrics != null) {
                metrics.stop(0);
            }
            node.close();
            executor.shutdownNow();
            LOG.log(System.Logger.Level.INFO, "stopped");
        } finally {
            terminated.countDown();
        }
    }

    // ------------------------------------------------------------------ handlers

    private void handleMetrics(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = Metrics.render(node).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        }
    }

    private void handleUnknown(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] bytes = Json.bytes(error("no such endpoint: " + ex.getRequestURI().getPath()
                    + "; the API lives under " + API + "/", Map.of()));
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(404, bytes.length);
            ex.getResponseBody().write(bytes);
        }
    }

    private void handleApi(HttpExchange ex) throws IOException {
        try (ex) {
            int status;
            Object body;
            try {
                if (!token.matches(ex.getRequestHeaders().getFirst(ApiToken.HEADER))) {
                    throw new ApiError(401, "missing or wrong API token: send the token from the data directory's "
                            + "token file in the " + ApiToken.HEADER + " header");
                }
                Response r = route(ex.getRequestMethod(), ex.getRequestURI(), ex);
                status = r.status();
                body = r.body();
            } catch (ApiError e) {
                status = e.status;
                body = error(e.getMessage(), e.details);
            } catch (DeployException e) {
                status = switch (e.kind()) {
                    case NOT_FOUND -> 404;
                    case CONFLICT -> 409;
                    case CAPACITY -> 503;
                    case INVALID_MODULE, INVALID_REQUEST -> 400;
                };
                body = error(e.getMessage(), Map.of("kind", e.kind().name().toLowerCase(java.util.Locale.ROOT)));
            } catch (RoutingException e) {
                status = e.status().httpStatus();
                body = error(e.getMessage(), e.field().isEmpty() ? Map.of("status", e.status().name().toLowerCase(java.util.Locale.ROOT))
                        : Map.of("field", e.field(), "status", e.status().name().toLowerCase(java.util.Locale.ROOT)));
            } catch (NotFoundException e) {
                status = 404;
                body = error(e.getMessage(), Map.of());
            } catch (InvalidEnvelopeException e) {
                status = 400;
                body = error(e.getMessage(), Map.of("field", e.field()));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "request " + ex.getRequestMethod() + " " + ex.getRequestURI() + " failed", e);
                status = 500;
                body = error("internal error: " + e, Map.of());
            }
            byte[] bytes = Json.bytes(body);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static Map<String, Object> error(String message, Map<String, Object> details) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        m.put("details", details);
        return m;
    }

    private record Response(int status, Object body) {
    }

    private Response route(String method, URI uri, HttpExchange ex) throws IOException {
        String path = uri.getRawPath();
        if (path.endsWith("/") && path.length() > API.length() + 1) {
            path = path.substring(0, path.length() - 1);
        }
        String rest = path.substring(API.length());
        String[] parts = rest.split("/");
        // parts[0] is "" (path starts with '/')
        String first = parts.length > 1 ? parts[1] : "";
        switch (first) {
            case "health" -> {
                only(method, "GET");
                return new Response(200, node.status());
            }
            case "agents" -> {
                if (parts.length == 2) {
                    if (method.equals("GET")) {
                        return new Response(200, Map.of("agents", node.agents().stream().map(Json::agent).toList()));
                    }
                    only(method, "POST", "GET");
                    return new Response(201, Json.agent(node.deploy(deploySpec(Json.object(body(ex))))));
                }
                String name = decode(parts[2]);
                if (parts.length == 3) {
                    if (method.equals("GET")) {
                        return new Response(200, Json.agent(node.agent(name).orElseThrow(
                                () -> new ApiError(404, "agent '" + name + "' not found"))));
                    }
                    only(method, "DELETE", "GET");
                    node.undeploy(name);
                    return new Response(200, Map.of("name", name, "state", "stopped"));
                }
                if (parts.length == 4 && parts[3].equals("module")) {
                    only(method, "PUT");
                    Map<String, Object> b = Json.object(body(ex));
                    unknownFields(b, Set.of("wasm_module", "wat_module"), "");
                    return new Response(200, Json.agent(node.reload(name, module(b))));
                }
            }
            case "messages" -> {
                if (parts.length == 2) {
                    only(method, "POST");
                    return send(Json.object(body(ex)));
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
            case "capabilities" -> {
                only(method, "GET");
                return new Response(200, Map.of("capabilities", node.capabilities()));
            }
            case "cluster" -> {
                if (parts.length == 3 && parts[2].equals("members")) {
                    only(method, "GET");
                    return new Response(200, Map.of("members", node.members().stream().map(m -> {
                        Map<String, Object> o = new LinkedHashMap<>();
                        o.put("id", m.id().value());
                        o.put("address", m.address().getHostString() + ":" + m.address().getPort());
                        o.put("state", m.state().name().toLowerCase(java.util.Locale.ROOT));
                        o.put("incarnation", m.incarnation());
                        o.put("metadata", m.metadata());
                        return o;
                    }).toList()));
                }
            }
            default -> {
            }
        }
        throw new ApiError(404, "no such endpoint: " + method + " " + path);
    }

    private static void only(String method, String... allowed) {
        if (!List.of(allowed).contains(method)) {
            throw new ApiError(405, "method " + method + " not allowed here; use " + String.join(" or ", allowed));
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
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

    private byte[] body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBody + 1));
            if (b.length > maxBody) {
                throw new ApiError(413, "the request body exceeds server.max_request_size (" + maxBody + " bytes)");
            }
            return b;
        }
    }

    // ------------------------------------------------------------------ agents

    private static final Set<String> DEPLOY_FIELDS = Set.of("name", "wasm_module", "wat_module", "capabilities",
            "limits", "codec", "engine", "permissions");
    private static final Set<String> LIMIT_FIELDS = Set.of("memory_bytes", "execution_timeout_ms", "fuel");

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
                    longField(lim, "fuel", d.fuel()));
        }
        List<String> perms = b.containsKey("permissions") ? strings(b, "permissions") : null;
        return new DeploySpec(name, module, caps, limits, str(b, "codec", false), str(b, "engine", false),
                perms == null ? null : new HashSet<>(perms));
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

    private Response send(Map<String, Object> b) {
        Object w = b.remove("wait_ms");
        Envelope e = EnvelopeFields.fromMap(b);
        if (w == null) {
            Envelope routed = node.send(e);
            return new Response(202, Map.of("message_id", routed.messageId(), "accepted", true));
        }
        if (!(w instanceof Long waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS) {
            throw new ApiError(400, "field 'wait_ms' must be a whole number from 0 to " + MAX_WAIT_MS, Map.of("field", "wait_ms"));
        }
        if (e.messageId() == null) {
            e = e.withMessageId(node.newMessageId());
        }
        var reply = node.request(e, Duration.ofMillis(waitMs));
        Envelope r;
        try {
            r = reply.get(waitMs + 5000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "interrupted while waiting for the reply");
        } catch (ExecutionException | TimeoutException ee) {
            throw new ApiError(504, "no reply: " + ee);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("message_id", e.messageId());
        out.put("reply", Json.envelope(r));
        return new Response(200, out);
    }
}
