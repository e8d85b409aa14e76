package dev.caxton.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/2 rapid reset (CVE-2023-44487): a client that opens streams and cancels each at once never
 * has more than one stream open, so the concurrent-stream bound does not stop it, yet every request
 * costs the server work. The API must cut such a connection off (GOAWAY) and keep serving others.
 * One attacking connection on loopback, a bounded number of frames, hand-written.
 */
class Http2RapidResetTest {

    /** Well past the server's allowance of resets per window, and still a small burst. */
    private static final int STREAMS = 1_000;

    @Test
    void aConnectionThatResetsStreamsRapidlyIsClosedAndOthersAreStillServed(@TempDir Path dir) throws Exception {
        // A long idle timeout: only the server's reaction to the resets may end this connection.
        try (TestServer s = new TestServer(dir, "idle_timeout: 10m", "");
                Socket socket = new Socket("127.0.0.1", s.port)) {
            socket.setSoTimeout(120_000);
            OutputStream out = socket.getOutputStream();
            // Written by another thread, so a server that closes the connection mid-burst does not
            // leave the test blocked on a full send buffer before it reads the GOAWAY.
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    out.write(burst());
                    out.flush();
                } catch (IOException e) {
                    // The server closed the connection while the burst was still going out.
                }
            });
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int responses = 0;
            Integer goAway = null;
            boolean closed = false;
            StringBuilder seen = new StringBuilder();
            try {
                while (goAway == null) {
                    byte[] head = in.readNBytes(9);
                    if (head.length < 9) {
                        closed = true;
                        break;
                    }
                    int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
                    byte[] payload = in.readNBytes(length);
                    seen.append(head[3]).append(' ');
                    if (head[3] == 1) {
                        responses++;
                    } else if (head[3] == 7 && payload.length >= 8) {
                        goAway = ((payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16) | ((payload[6] & 0xff) << 8)
                                | (payload[7] & 0xff);
                    }
                }
            } catch (EOFException | java.net.SocketException e) {
                seen.append(e);
                closed = true;
            }
            System.out.println("frames: " + (seen.length() > 400 ? seen.substring(0, 400) : seen));
            writer.join();
            System.out.printf("rapid reset: %d streams opened and cancelled, %d answered before the server reacted; "
                    + "GOAWAY %s, closed %s%n", STREAMS, responses, goAway == null ? "none" : "0x" + Integer.toHexString(goAway), closed);
            assertThat(goAway != null || closed).as("the server cut the connection off").isTrue();
            assertThat(responses).as("requests the server answered on that connection").isLessThan(STREAMS);
            // Other clients are still served.
            assertThat(s.call("GET", "/api/v1/agents", null).status()).isEqualTo(200);
        }
    }

    @Test
    void aPriorKnowledgeClientIsAnswered(@TempDir Path dir) throws Exception {
        try (TestServer s = new TestServer(dir, "", "");
                Socket socket = new Socket("127.0.0.1", s.port)) {
            socket.setSoTimeout(120_000);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            preface(b);
            frame(b, 1, 0x5, 1, headers());
            socket.getOutputStream().write(b.toByteArray());
            socket.getOutputStream().flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            while (true) {
                byte[] head = in.readNBytes(9);
                assertThat(head).as("a frame before the connection ends").hasSize(9);
                byte[] payload = in.readNBytes(((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff));
                int stream = ((head[5] & 0x7f) << 24) | ((head[6] & 0xff) << 16) | ((head[7] & 0xff) << 8) | (head[8] & 0xff);
                if (head[3] == 1 && stream == 1) {
                    // HPACK static entry 8 is ":status: 200".
                    assertThat(payload[0] & 0xff).as("the response's first header").isEqualTo(0x88);
                    return;
                }
            }
        }
    }

    private static void preface(ByteArrayOutputStream b) {
        b.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frame(b, 4, 0, 0, new byte[0]);
    }

    /** The h2c preface, SETTINGS, then HEADERS (a complete GET) and RST_STREAM(CANCEL) for each stream. */
    private static byte[] burst() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        preface(b);
        byte[] headers = headers();
        for (int i = 0; i < STREAMS; i++) {
            int stream = 1 + 2 * i;
            frame(b, 1, 0x5, stream, headers); // END_STREAM | END_HEADERS
            frame(b, 3, 0, stream, new byte[] {0, 0, 0, 8}); // RST_STREAM CANCEL
        }
        return b.toByteArray();
    }

    /** A complete GET of the health probe, HPACK-encoded without the dynamic table. */
    private static byte[] headers() {
        byte[] path = "/api/v1/health".getBytes(StandardCharsets.US_ASCII);
        byte[] authority = "127.0.0.1".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(0x82); // :method GET (static table)
        h.write(0x86); // :scheme http
        h.write(0x04); // :path, literal value without indexing
        h.write(path.length);
        h.writeBytes(path);
        h.write(0x01); // :authority, literal value without indexing
        h.write(authority.length);
        h.writeBytes(authority);
        return h.toByteArray();
    }

    private static void frame(ByteArrayOutputStream b, int type, int flags, int stream, byte[] payload) {
        b.write(payload.length >>> 16);
        b.write(payload.length >>> 8);
        b.write(payload.length);
        b.write(type);
        b.write(flags);
        b.write(stream >>> 24);
        b.write(stream >>> 16);
        b.write(stream >>> 8);
        b.write(stream);
        b.writeBytes(payload);
    }
}
