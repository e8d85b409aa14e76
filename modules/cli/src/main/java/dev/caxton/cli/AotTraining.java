package dev.caxton.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The training run behind the launcher's ahead-of-time cache (JDK 25, JEP 483/514/515), used only
 * when the image is assembled: {@code assemble.sh} runs it once with {@code -XX:AOTCacheOutput} and
 * the same JVM options {@code bin/caxton} gives client commands, and the cache then holds every
 * class those commands load, already linked, so a client command starts in a fraction of the time.
 *
 * <p>It runs the usual client commands against a stand-in API on loopback (a few lines answering
 * every request with an empty JSON object), because at build time there is no node to talk to and
 * a command that only fails to connect would leave the JSON and response paths untrained. What the
 * commands print is thrown away; their exit codes do not matter.
 */
public final class AotTraining {

    private AotTraining() {
    }

    /**
     * Runs the training commands.
     *
     * @param args ignored
     * @throws IOException when the loopback socket cannot be opened
     */
    public static void main(String[] args) throws IOException {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon().name("aot-training-api").start(() -> serve(server));
            String url = "http://127.0.0.1:" + server.getLocalPort();
            List<String> api = List.of("--server", url, "--token", "training");
            run(List.of("--version"));
            run(List.of("--help"));
            run(List.of("agent", "--help"));
            run(concat(List.of("agent", "list"), api));
            run(concat(List.of("agent", "list", "--output", "json"), api));
            run(concat(List.of("agent", "inspect", "training"), api));
            run(concat(List.of("message", "send", "--to", "training", "--content", "{\"n\":1}"), api));
            run(concat(List.of("cluster", "members"), api));
            run(concat(List.of("server", "health"), api));
            run(concat(List.of("dead-letters", "list"), api));
            trainConfigForm(server.getLocalPort());
        }
    }

    /**
     * Runs {@code agent list --config FILE} against the stand-in: the form that reads a node's YAML
     * configuration for its address and token file. Without it the cache held none of SnakeYAML's
     * classes nor the configuration reader's, and that form loaded and verified some 250 classes
     * from scratch at every start. It reads the image's own {@code conf/caxton.yaml} (comments,
     * nested sections, lists: what a real file has), pointed at the stand-in by the same
     * {@code caxton.*} overrides {@code CAXTON_OPTS} gives.
     */
    private static void trainConfigForm(int port) throws IOException {
        Path dir = Files.createTempDirectory("caxton-aot-training");
        try {
            Path data = Files.createDirectories(dir.resolve("data"));
            Files.writeString(data.resolve(ClientOptions.DEFAULT_TOKEN_FILE), "training\n");
            String home = System.getProperty("caxton.home");
            Path config = home == null ? null : Path.of(home, "conf", "caxton.yaml");
            if (config == null || !Files.isRegularFile(config)) {
                config = Files.writeString(dir.resolve("caxton.yaml"), "server:\n  host: 127.0.0.1\n");
            }
            System.setProperty("caxton.server.port", Integer.toString(port));
            System.setProperty("caxton.server.data_dir", data.toString());
            try {
                run(List.of("agent", "list", "--config", config.toString()));
            } finally {
                System.clearProperty("caxton.server.port");
                System.clearProperty("caxton.server.data_dir");
            }
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private static void run(List<String> args) {
        StringWriter sink = new StringWriter();
        PrintWriter w = new PrintWriter(sink);
        Main.run(w, w, Map.of(), args.toArray(String[]::new));
    }

    /** Answers every request with 200 and {@code {}}: enough for the client to parse a response. */
    private static void serve(ServerSocket server) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                // Read the head and any body up to a quiet moment; the client sends small requests.
                s.setSoTimeout(200);
                byte[] buf = new byte[16384];
                try {
                    int total = 0;
                    while (total < buf.length) {
                        int n = in.read(buf, total, buf.length - total);
                        if (n < 0) {
                            break;
                        }
                        total += n;
                        String head = new String(buf, 0, total, StandardCharsets.ISO_8859_1);
                        int end = head.indexOf("\r\n\r\n");
                        if (end >= 0 && total - end - 4 >= contentLength(head)) {
                            break;
                        }
                    }
                } catch (java.net.SocketTimeoutException ignored) {
                    // Answer what arrived.
                }
                byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            } catch (IOException e) {
                if (server.isClosed()) {
                    return;
                }
            }
        }
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                try {
                    return Integer.parseInt(line.substring(15).trim());
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }
}
