package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for a node's management API on an ephemeral loopback port: it checks the token header
 * the way the real server does, answers from canned routes, and records every request so tests can
 * check exactly what the command line sent.
 */
final class FakeApi implements AutoCloseable {

    static final String TOKEN = "s3cret-token";

    /** One request as received. */
    record Request(String method, String path, String query, String token, String contentType, String body) {
        JsonNode json() {
            try {
                return Json.mapper().readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private record Reply(int status, String contentType, byte[] bytes, Map<String, String> headers) {
        Reply(int status, String body) {
            this(status, "application/json", body.getBytes(StandardCharsets.UTF_8), Map.of());
        }
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Reply> routes = new ConcurrentHashMap<>();

    FakeApi() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Answers {@code method path} (path without the query) with a status and a JSON body. */
    FakeApi on(String method, String path, int status, String body) {
        routes.put(method + " " + path, new Reply(status, body));
        return this;
    }

    /** Answers {@code method path} with bytes of any type and extra headers (a backup download). */
    FakeApi onBytes(String method, String path, int status, String contentType, byte[] body, Map<String, String> headers) {
        routes.put(method + " " + path, new Reply(status, contentType, body, headers));
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    Request only() {
        if (requests.size() != 1) {
            throw new AssertionError("expected one request, got " + requests);
        }
        return requests.getFirst();
    }

    private void handle(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String token = ex.getRequestHeaders().getFirst("X-Caxton-Token");
        requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), ex.getRequestURI().getRawQuery(),
                token, ex.getRequestHeaders().getFirst("Content-Type"), body));
        Reply reply;
        if (!TOKEN.equals(token)) {
            reply = new Reply(401, "{\"error\":\"missing or wrong API token\",\"details\":{}}");
        } else {
            reply = routes.getOrDefault(ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath(),
                    new Reply(404, "{\"error\":\"no route " + ex.getRequestURI().getRawPath() + "\"}"));
        }
        byte[] bytes = reply.bytes();
        ex.getResponseHeaders().set("Content-Type", reply.contentType());
        reply.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        ex.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
