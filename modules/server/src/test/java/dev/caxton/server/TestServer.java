package dev.caxton.server;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.testkit.Wat;
import dev.caxton.testkit.WatAgents;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A real server in this JVM on ephemeral loopback ports, and a raw HTTP/1.1 client over plain
 * sockets: the tests need to send half a request, hold connections open and hang up mid-wait,
 * which no HTTP client library lets them do.
 */
final class TestServer implements AutoCloseable {

    static final String ECHO = WatAgents.ECHO;
    static final String SILENT = WatAgents.SILENT;
    static final String TRAP = WatAgents.TRAP;

    final CaxtonServer server;
    final String token;
    final int port;
    final int metricsPort;

    /** A parsed response. */
    record Res(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    TestServer(Path dir, String serverYaml, String extraYaml) throws IOException {
        this(dir, serverYaml, extraYaml, "");
    }

    /** @param messagingYaml more keys of the {@code messaging} section, one {@code key: value} a line */
    TestServer(Path dir, String serverYaml, String extraYaml, String messagingYaml) throws IOException {
        this(dir, serverYaml, extraYaml, messagingYaml, "");
    }

    /** @param runtimeYaml more keys of the {@code runtime} section, in YAML */
    TestServer(Path dir, String serverYaml, String extraYaml, String messagingYaml, String runtimeYaml)
            throws IOException {
        Path data = dir.resolve("data");
        Path config = Files.writeString(dir.resolve("caxton.yaml"), """
                server:
                  port: 0
                  metrics_port: 0
                  data_dir: "%s"
                %s
                runtime:
                  chicory:
                    mode: interpreter
                %s
                messaging:
                  serializer: json
                %s
                %s
                %s
                %s
                """.formatted(data.toString().replace("\\", "/"), serverYaml.indent(2).stripTrailing(),
                runtimeYaml.indent(2).stripTrailing(),
                messagingYaml.indent(2).stripTrailing(),
                // A test that names its own storage replaces the default one.
                extraYaml.contains("storage:") ? "" : "storage:\n  type: memory",
                // Likewise a test that names its own transport (two nodes that must know each other's ports).
                extraYaml.contains("transport:") ? "" : "transport:\n  port: 0", extraYaml));
        PluginCatalog catalog = PluginCatalog.discover(null);
        server = CaxtonServer.start(CaxtonConfig.load(config, catalog), null, catalog);
        token = Files.readString(data.resolve("api-token")).trim();
        port = server.apiUri().getPort();
        metricsPort = server.metricsUri().getPort();
    }

    void deploy(String name, String wat) throws IOException {
        String module = Base64.getEncoder().encodeToString(Wat.compile(wat));
        Res r = call("POST", "/api/v1/agents", "{\"name\":\"" + name + "\",\"wasm_module\":\"" + module + "\"}");
        if (r.status() != 201) {
            throw new AssertionError("deploy " + name + ": " + r);
        }
    }

    /** One request on its own connection ({@code Connection: close}), answered in full. */
    Res call(String method, String path, String body) throws IOException {
        return raw(port, request(method, path, body, token, false));
    }

    Res metrics(String method, String path) throws IOException {
        return raw(metricsPort, request(method, path, null, null, false));
    }

    static String request(String method, String path, String body, String token, boolean keepAlive) {
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        return method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                + (token == null ? "" : "X-Caxton-Token: " + token + "\r\n")
                + (keepAlive ? "" : "Connection: close\r\n")
                + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + b.length + "\r\n")
                + "\r\n" + (body == null ? "" : body);
    }

    /** Sends raw bytes and reads until the server closes the connection. */
    static Res raw(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(120_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            return parse(s.getInputStream().readAllBytes());
        }
    }

    /** Reads exactly one response (by its Content-Length) from a connection that stays open. */
    static Res readOne(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed after " + head.size() + " bytes: " + head);
            }
            head.write(c);
            matched = (c == "\r\n\r\n".charAt(matched)) ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        Res h = parse(head.toByteArray());
        int len = Integer.parseInt(h.header("content-length"));
        return new Res(h.status(), h.headers(), new String(in.readNBytes(len), StandardCharsets.UTF_8));
    }

    static Res parse(byte[] bytes) {
        String all = new String(bytes, StandardCharsets.UTF_8);
        int end = all.indexOf("\r\n\r\n");
        if (!all.startsWith("HTTP/1.1 ") || end < 0) {
            throw new AssertionError("not an HTTP response: '" + all + "'");
        }
        String[] lines = all.substring(0, end).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        return new Res(Integer.parseInt(lines[0].substring(9, 12)), headers, all.substring(end + 4));
    }

    /** Polls a condition with a generous deadline: tests wait for what they need, never for a time. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    long nodeWaiting() {
        return server.node().counters().get("clients_waiting");
    }

    @Override
    public void close() {
        server.close();
    }
}
