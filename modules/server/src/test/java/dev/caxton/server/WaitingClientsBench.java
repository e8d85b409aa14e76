package dev.caxton.server;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A small load generator, not a test: many clients at once each send a request and wait for the
 * agent's reply ({@code wait_ms}), over HTTP/1.1 (a connection per waiting client) and over h2c
 * (streams on one connection). It prints the figures and asserts nothing about time. Run with
 * {@code -Dbench.waiting=true -Dtest=WaitingClientsBench}; {@code -Dbench.clients=N} sets the
 * number of clients (500).
 */
class WaitingClientsBench {

    @Test
    void http1VersusH2(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("bench.waiting"), "a benchmark: run with -Dbench.waiting=true");
        int clients = Integer.getInteger("bench.clients", 500);
        try (TestServer s = new TestServer(dir, """
                max_connections: 5000
                max_waiting_requests: 5000
                http2_max_streams: 5000""", "")) {
            for (int round = 0; round < 3; round++) {
                for (HttpClient.Version v : List.of(HttpClient.Version.HTTP_1_1, HttpClient.Version.HTTP_2)) {
                    // A fresh agent per run: the test echo agent's bump allocator fills up after ~1000 messages.
                    String agent = "e" + round + v.ordinal();
                    s.deploy(agent, TestServer.ECHO);
                    long t0 = System.nanoTime();
                    java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();
                    int ok = run(s, v, clients, agent, statuses);
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    System.out.printf("bench round %d %s: %d concurrent waiting clients, %d answered 200 (all: %s), %d ms, %.0f req/s%n",
                            round, v, clients, ok, statuses, ms, clients * 1000.0 / Math.max(1, ms));
                }
            }
        }
    }

    private static int run(TestServer s, HttpClient.Version v, int clients, String agent, java.util.Map<Integer, Integer> statuses)
            throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(v).build()) {
            // One request first: on h2c it is the Upgrade that makes the connection HTTP/2.
            client.send(Http2ApiTest.get("http://127.0.0.1:" + s.port + "/api/v1/health", s.token),
                    HttpResponse.BodyHandlers.discarding());
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<CompletableFuture<HttpResponse<String>>>();
            for (int i = 0; i < clients; i++) {
                all.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port + "/api/v1/messages"))
                        .timeout(Duration.ofMinutes(5)).header("X-Caxton-Token", s.token)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"performative\":\"request\",\"receiver\":\"" + agent + "\","
                                + "\"content\":\"m" + i + "\",\"wait_ms\":120000}")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            int ok = 0;
            String sample = null;
            for (CompletableFuture<HttpResponse<String>> f : all) {
                HttpResponse<String> r = f.get();
                statuses.merge(r.statusCode(), 1, Integer::sum);
                if (r.statusCode() == 200) {
                    ok++;
                } else if (sample == null) {
                    sample = r.body();
                    System.out.println("bench sample refusal " + r.statusCode() + ": " + sample);
                }
            }
            return ok;
        }
    }
}
