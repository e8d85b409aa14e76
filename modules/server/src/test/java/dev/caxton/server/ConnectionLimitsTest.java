package dev.caxton.server;

import dev.caxton.server.TestServer.Res;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Defect 2 of issue 9: abandoned waits, too many waits, too many connections and slow or idle
 * connections must not be able to hold the node. Every case runs against a real server on
 * loopback with raw sockets.
 */
class ConnectionLimitsTest {

    @TempDir
    Path dir;

    private static String waitBody(String receiver, long waitMs) {
        return "{\"performative\":\"request\",\"receiver\":\"" + receiver + "\",\"content\":\"x\",\"wait_ms\":" + waitMs + "}";
    }

    private static List<Socket> openWaits(TestServer s, int n, String receiver) throws IOException {
        List<Socket> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket c = new Socket("127.0.0.1", s.port);
            c.getOutputStream().write(TestServer.request("POST", "/api/v1/messages", waitBody(receiver, 300_000), s.token, true)
                    .getBytes(StandardCharsets.UTF_8));
            c.getOutputStream().flush();
            out.add(c);
        }
        return out;
    }

    private static void closeAll(List<Socket> sockets) throws IOException {
        for (Socket c : sockets) {
            c.close();
        }
    }

    @Test
    void aWaitWhoseClientDisconnectsIsCancelledAndFreesTheNode() throws Exception {
        try (TestServer s = new TestServer(dir, "max_waiting_requests: 1000", "")) {
            s.deploy("silent", TestServer.SILENT);
            s.deploy("echo", TestServer.ECHO);
            List<Socket> waits = openWaits(s, 200, "silent");
            TestServer.await("200 requests waiting", () -> s.server.waitingRequests() == 200 && s.nodeWaiting() == 200);
            assertThat(s.metrics("GET", "/metrics").body()).contains("caxton_api_waiting_requests 200");

            closeAll(waits);
            // Without cancellation these stay until wait_ms (300 s) runs out.
            TestServer.await("waits cancelled", () -> s.server.waitingRequests() == 0 && s.nodeWaiting() == 0);
            assertThat(s.metrics("GET", "/metrics").body()).contains("caxton_api_waiting_requests 0", "caxton_clients_waiting 0");
            Res echo = s.call("POST", "/api/v1/messages", waitBody("echo", 60_000));
            assertThat(echo.status()).isEqualTo(200);
            assertThat(echo.body()).contains("\"sender\":\"echo\"");
        }
    }

    @Test
    void waitsBeyondTheCapAreRefusedWith503AndRetryAfter() throws Exception {
        try (TestServer s = new TestServer(dir, "max_waiting_requests: 20", "")) {
            s.deploy("silent", TestServer.SILENT);
            List<Socket> waits = openWaits(s, 20, "silent");
            TestServer.await("20 requests waiting", () -> s.server.waitingRequests() == 20);

            Res over = s.call("POST", "/api/v1/messages", waitBody("silent", 1000));
            assertThat(over.status()).isEqualTo(503);
            assertThat(over.header("Retry-After")).isEqualTo("1");
            assertThat(over.body()).contains("server.max_waiting_requests");
            // A send without wait_ms holds nothing and is still accepted.
            assertThat(s.call("POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\"silent\"}").status())
                    .isEqualTo(202);

            closeAll(waits);
            TestServer.await("waits released", () -> s.server.waitingRequests() == 0 && s.nodeWaiting() == 0);
            Res again = s.call("POST", "/api/v1/messages", waitBody("silent", 0));
            assertThat(again.status()).isEqualTo(200);
            TestServer.await("the last wait released", () -> s.server.waitingRequests() == 0);
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedWhileAnOpenOneKeepsWorking() throws Exception {
        try (TestServer s = new TestServer(dir, "max_connections: 5", "")) {
            List<Socket> held = new ArrayList<>();
            try {
                Socket first = new Socket("127.0.0.1", s.port);
                held.add(first);
                OutputStream out = first.getOutputStream();
                InputStream in = first.getInputStream();
                out.write(TestServer.request("GET", "/api/v1/health", null, s.token, true).getBytes(StandardCharsets.UTF_8));
                assertThat(TestServer.readOne(in).status()).isEqualTo(200);
                for (int i = 0; i < 4; i++) {
                    held.add(new Socket("127.0.0.1", s.port));
                }
                // The sixth is answered 503 and closed without a request being read.
                Res refused = TestServer.raw(s.port, TestServer.request("GET", "/api/v1/health", null, s.token, false));
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.header("Retry-After")).isEqualTo("1");
                assertThat(refused.body()).contains("server.max_connections");

                out.write(TestServer.request("GET", "/api/v1/health", null, s.token, true).getBytes(StandardCharsets.UTF_8));
                assertThat(TestServer.readOne(in).status()).isEqualTo(200);
            } finally {
                closeAll(held);
            }
            TestServer.await("a place is free again", () -> {
                try {
                    return TestServer.raw(s.port, TestServer.request("GET", "/api/v1/health", null, s.token, false)).status() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    @Test
    void anIncompleteRequestGets408AndIsClosed() throws Exception {
        try (TestServer s = new TestServer(dir, "request_timeout: 300ms", "")) {
            // Headers that never end.
            Res headers = TestServer.raw(s.port, "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n");
            assertThat(headers.status()).isEqualTo(408);
            assertThat(headers.body()).contains("server.request_timeout");
            // A body shorter than its Content-Length.
            Res body = TestServer.raw(s.port, "POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nX-Caxton-Token: "
                    + s.token + "\r\nContent-Length: 100\r\n\r\n{\"perf");
            assertThat(body.status()).isEqualTo(408);
        }
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        try (TestServer s = new TestServer(dir, "idle_timeout: 300ms", "")) {
            try (Socket c = new Socket("127.0.0.1", s.port)) {
                c.setSoTimeout(120_000);
                // Nothing sent at all: the server closes, so read sees the end of the stream.
                assertThat(c.getInputStream().read()).isEqualTo(-1);
            }
            try (Socket c = new Socket("127.0.0.1", s.port)) {
                c.setSoTimeout(120_000);
                c.getOutputStream().write(TestServer.request("GET", "/api/v1/health", null, s.token, true)
                        .getBytes(StandardCharsets.UTF_8));
                assertThat(TestServer.readOne(c.getInputStream()).status()).isEqualTo(200);
                // Kept alive after the answer, then idle.
                int next;
                try {
                    next = c.getInputStream().read();
                } catch (SocketException reset) {
                    next = -1;
                }
                assertThat(next).isEqualTo(-1);
            }
        }
    }

    @Test
    void aWaitingRequestIsNotIdle() throws Exception {
        try (TestServer s = new TestServer(dir, "idle_timeout: 100ms\nrequest_timeout: 100ms", "")) {
            s.deploy("silent", TestServer.SILENT);
            // The wait outlasts both timeouts many times over and still gets its answer.
            Res r = s.call("POST", "/api/v1/messages", waitBody("silent", 1500));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).contains("\"reason\":\"timeout\"");
        }
    }
}
