package dev.caxton.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /api/v1/profile} on a real server: a recording comes back as a JFR file that the JDK's own
 * reader parses and that holds the node's custom events for the messages handled and the faults
 * while it ran; one recording at a time; bad durations refused naming the parameter.
 */
class ProfilerApiTest {

    @TempDir
    Path dir;

    /** The raw response: status line and headers as text, the body as bytes (a JFR file is binary). */
    record Raw(int status, String head, byte[] body) {
    }

    static Raw rawBytes(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(300_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("connection closed in the headers: " + head);
                }
                head.write(c);
                matched = (c == "\r\n\r\n".charAt(matched)) ? matched + 1 : (c == '\r' ? 1 : 0);
            }
            String h = head.toString(StandardCharsets.UTF_8);
            return new Raw(Integer.parseInt(h.substring(9, 12)), h, in.readAllBytes());
        }
    }

    private long leftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("data"))) {
            return files.filter(p -> p.getFileName().toString().startsWith(Profiler.TEMP_PREFIX)).count();
        }
    }

    @Test
    void aCpuRecordingIsAJfrFileWithTheMessagesAndFaultsHandledWhileItRan() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            s.deploy("echo", TestServer.ECHO);
            s.deploy("trap", TestServer.TRAP);
            // Long enough that it never ends on its own here: the test stops it once the messages are handled.
            CompletableFuture<Raw> recording = CompletableFuture.supplyAsync(() -> {
                try {
                    return rawBytes(s.port, TestServer.request("POST", "/api/v1/profile/cpu?duration=9m", null, s.token, false));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            TestServer.await("the recording runs", () -> {
                try {
                    return s.call("GET", "/api/v1/profile", null).body().contains("\"running\":true");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            TestServer.Res second = s.call("POST", "/api/v1/profile/memory?duration=1s", null);
            assertThat(second.status()).as(second.body()).isEqualTo(409);
            assertThat(second.body()).contains("already running");
            assertThat(second.header("Retry-After")).isNotNull();

            for (int i = 0; i < 5; i++) {
                TestServer.Res r = s.call("POST", "/api/v1/messages",
                        "{\"performative\":\"request\",\"receiver\":\"echo\",\"content\":" + i + ",\"wait_ms\":60000}");
                assertThat(r.status()).as(r.body()).isEqualTo(200);
            }
            s.call("POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\"trap\",\"content\":1}");
            TestServer.await("the trap's fault is counted", () -> {
                try {
                    return s.call("GET", "/api/v1/agents/trap", null).body().contains("\"faults\":1");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            TestServer.Res stop = s.call("POST", "/api/v1/profile/stop", null);
            assertThat(stop.status()).as(stop.body()).isEqualTo(200);

            Raw r = recording.get(5, TimeUnit.MINUTES);
            assertThat(r.status()).as(r.head()).isEqualTo(200);
            assertThat(r.head()).contains("application/octet-stream").contains(".jfr");
            Path file = Files.write(dir.resolve("cpu.jfr"), r.body());
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            List<RecordedEvent> handled = events.stream()
                    .filter(e -> e.getEventType().getName().equals("dev.caxton.MessageHandled")).toList();
            assertThat(handled).filteredOn(e -> "echo".equals(e.getString("agent"))).hasSizeGreaterThanOrEqualTo(5);
            assertThat(handled).allSatisfy(e -> assertThat(e.getString("messageId")).isNotBlank());
            assertThat(events).filteredOn(e -> e.getEventType().getName().equals("dev.caxton.AgentFault"))
                    .anySatisfy(e -> {
                        assertThat(e.getString("agent")).isEqualTo("trap");
                        assertThat(e.getString("reason")).contains("trap");
                    });
            // The "profile" settings: the JVM's execution samples are what a CPU profile is made of.
            assertThat(events).anyMatch(e -> e.getEventType().getName().equals("jdk.ExecutionSample"));
            TestServer.await("the temporary recording is deleted", () -> {
                try {
                    return leftovers() == 0;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertThat(s.call("GET", "/api/v1/profile", null).body()).contains("\"running\":false");
        }
    }

    @Test
    void aMemoryRecordingEndsByItselfAndHoldsHeapEvents() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            Raw r = rawBytes(s.port, TestServer.request("POST", "/api/v1/profile/memory?duration=300ms", null, s.token, false));
            assertThat(r.status()).as(r.head()).isEqualTo(200);
            Path file = Files.write(dir.resolve("mem.jfr"), r.body());
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            assertThat(events).anyMatch(e -> e.getEventType().getName().equals("jdk.GCHeapSummary")
                    || e.getEventType().getName().equals("jdk.ObjectAllocationSample"));
            assertThat(events).noneMatch(e -> e.getEventType().getName().equals("jdk.ExecutionSample"));
        }
    }

    @Test
    void badRequestsAreRefusedNamingWhatWasWrong() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            TestServer.Res tooLong = s.call("POST", "/api/v1/profile/cpu?duration=2h", null);
            assertThat(tooLong.status()).isEqualTo(400);
            assertThat(tooLong.body()).contains("duration").contains("10m").doesNotContain("Exception");
            TestServer.Res garbage = s.call("POST", "/api/v1/profile/cpu?duration=soon", null);
            assertThat(garbage.status()).isEqualTo(400);
            assertThat(garbage.body()).contains("'soon'").contains("\"field\":\"duration\"");
            assertThat(s.call("POST", "/api/v1/profile/disk", null).status()).isEqualTo(404);
            TestServer.Res get = s.call("GET", "/api/v1/profile/cpu", null);
            assertThat(get.status()).isEqualTo(405);
            assertThat(get.header("Allow")).isEqualTo("POST");
            assertThat(s.call("POST", "/api/v1/profile/stop", null).status()).isEqualTo(409);
            Raw noToken = rawBytes(s.port, TestServer.request("POST", "/api/v1/profile/cpu?duration=1s", null, null, false));
            assertThat(noToken.status()).isEqualTo(401);
            assertThat(s.call("GET", "/api/v1/profile", null).body()).contains("\"running\":false");
        }
    }

    @Test
    void theDiagnosticsEndpointShowsHeapQueuesAndDeadLetterReasons() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            s.deploy("trap", TestServer.TRAP);
            s.call("POST", "/api/v1/messages", "{\"performative\":\"inform\",\"receiver\":\"trap\",\"content\":1}");
            TestServer.await("the fault is dead-lettered", () -> {
                try {
                    return s.call("GET", "/api/v1/diagnostics", null).body().contains("\"by_reason\":{\"trap\":1}");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            String body = s.call("GET", "/api/v1/diagnostics", null).body();
            assertThat(body).contains("\"heap_used_bytes\"").contains("\"heap_max_bytes\"").contains("\"queue_size\"")
                    .contains("\"critical\"");
        }
    }

    @Test
    void reasonKindsGroupDeadLettersWithoutNames() {
        assertThat(Diagnostics.reasonKind("agent 'a' failed (last fault: trap: unreachable)")).isEqualTo("agent * failed");
        assertThat(Diagnostics.reasonKind("ttl expired: waited 5000ms in the mailbox of 'x'")).isEqualTo("ttl expired");
        assertThat(Diagnostics.reasonKind("hop limit exceeded: 33 > messaging.max_hops 32")).isEqualTo("hop limit exceeded");
        assertThat(Diagnostics.reasonKind(null)).isEqualTo("unknown");
    }
}
