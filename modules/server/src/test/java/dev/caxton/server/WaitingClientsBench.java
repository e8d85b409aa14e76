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
 * {@code -Dcaxton.bench=true -Dtest=WaitingClientsBench}; {@code -Dcaxton.bench.clients=N} sets the
 * number of clients (500).
 */
class WaitingClientsBench {

    @Test
    void http1VersusH2(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("caxton.bench"), "a benchmark: run with -Dcaxton.bench=true");
        int clients = Integer.getInteger("caxton.bench.clients", 500);
        try (TestServer s = new TestServer(dir, """
                max_connections: 5000
                max_waiting_requests: 5000
                http2_max_streams: 5000""", "")) {
            s.deploy("e", TestServer.ECHO);
            for (int round = 0; round < 3; round++) {
                for (HttpClient.Version v : List.of(HttpClient.Version.HTTP_1_1, HttpClient.Version.HTTP_2)) {
                    long t0 = System.nanoTime();
                    int ok = run(s, v, clients);
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    System.out.printf("bench round %d %s: %d concurrent waiting clients, %d answered 200, %d ms, %.0f req/s%n",
                            round, v, clients, ok, ms, clients * 1000.0 / Math.max(1, ms));
                }
            }
        }
    }

    private static int run(TestServer s, HttpClient.Version v, int clients) throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(v).build()) {
            // One request first: on h2c it is the Upgrade that makes the connection HTTP/2.
            client.send(Http2ApiTest.get("http://127.0.0.1:" + s.port + "/api/v1/health", s.token),
                    HttpResponse.BodyHandlers.discarding());
            List<CompletableFuture<HttpResponse<Void>>> all = new ArrayList<CompletableFuture<HttpResponse<Void>>>();
            for (int i = 0; i < clients; i++) {
                all.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port + "/api/v1/messages"))
                        .timeout(Duration.ofMinutes(5)).header("X-Caxton-Token", s.token)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"performative\":\"request\",\"receiver\":\"e\","
                                + "\"content\":\"m" + i + "\",\"wait_ms\":120000}")).build(),
                        HttpResponse.BodyHandlers.discarding()));
            }
            int ok = 0;
            for (CompletableFuture<HttpResponse<Void>> f : all) {
                if (f.get().statusCode() == 200) {
                    ok++;
                }
            }
            return ok;
        }
    }
}
