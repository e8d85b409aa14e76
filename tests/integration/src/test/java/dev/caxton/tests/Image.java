package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The built distribution ({@code distribution/target/caxton}) as a user runs it: {@code bin/caxton}
 * processes, a server on free loopback ports with its own data directory, and the API over HTTP.
 */
final class Image {

    static final Path HOME = Path.of(System.getProperty("caxton.dist", "../../distribution/target/caxton")).toAbsolutePath().normalize();
    static final Path ROOT = Path.of(System.getProperty("caxton.root", "../..")).toAbsolutePath().normalize();
    static final ObjectMapper JSON = new ObjectMapper();

    record Result(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
            }
        }
    }

    private Image() {
    }

    static Path launcher() {
        Path p = HOME.resolve("bin/caxton");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("the image is not built: " + p + " missing (run ./mvnw package first)");
        }
        return p;
    }

    static Path example(String rel) {
        return ROOT.resolve("examples").resolve(rel);
    }

    /** Whether an executable of that name is on the PATH (a toolchain a test needs). */
    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    static Path testAgent(String file) {
        return ROOT.resolve("tests/agents").resolve(file);
    }

    /** Runs {@code bin/caxton ARGS} to completion. */
    static Result run(List<String> env, String... args) {
        return run(launcher(), env, args);
    }

    /**
     * Runs {@code LAUNCHER ARGS} to completion: the {@code bin/caxton} of another installation
     * (a copy of the image, an unpacked release archive), or a symlink to one.
     */
    static Result run(Path launcher, List<String> env, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher.toString());
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            for (String kv : env) {
                int eq = kv.indexOf('=');
                pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            Path out = Files.createTempFile("caxton-out", ".txt");
            Path err = Files.createTempFile("caxton-err", ".txt");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("caxton " + String.join(" ", args) + " did not finish within 120s");
            }
            Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return r;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Result run(String... args) {
        return run(List.of(), args);
    }

    static int freePort() {
        return freePorts(1)[0];
    }

    /**
     * Ports free right now, all different: the sockets are held open together while choosing, so
     * two of them cannot be the same port.
     */
    static int[] freePorts(int n) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a socket that only reserved a number
                }
            }
        }
    }

    /** A server process of the image with its own data directory and ports. */
    static final class Server implements AutoCloseable {
        final Path dir;
        final Path config;
        final Path dataDir;
        final int port;
        final int metricsPort;
        final Process process;
        final Path log;
        /** The {@code bin/caxton} this server and its client commands run. */
        final Path launcher;

        Server(Path dir, String extraYaml) throws IOException, InterruptedException {
            this(dir, extraYaml, "");
        }

        /**
         * A server of another installation: {@code launcher} is its {@code bin/caxton} (or a symlink
         * to it), started from {@code dir} as working directory, so nothing depends on where the
         * tests run.
         */
        Server(Path launcher, Path dir, String extraYaml) throws IOException, InterruptedException {
            this(launcher, dir, extraYaml, "");
        }

        /** @param serverYaml more keys of the {@code server} section, one {@code key: value} a line */
        Server(Path dir, String extraYaml, String serverYaml) throws IOException, InterruptedException {
            this(null, dir, extraYaml, serverYaml);
        }

        private Server(Path launcher, Path dir, String extraYaml, String serverYaml) throws IOException, InterruptedException {
            this.launcher = launcher == null ? launcher() : launcher;
            this.dir = dir;
            this.dataDir = dir.resolve("data");
            int[] ports = freePorts(3);
            this.port = ports[0];
            this.metricsPort = ports[1];
            this.config = dir.resolve("caxton.yaml");
            Files.writeString(config, """
                    server:
                      port: %d
                      metrics_port: %d
                      data_dir: %s
                    """.formatted(port, metricsPort, dataDir) + serverYaml.indent(2) + extraYaml
                    // Every node listens on its transport. Not port 0: the node binds its transport
                    // before its API, and an ephemeral port could be the very one chosen above for the API.
                    + (extraYaml.contains("transport:") ? "" : "\ntransport:\n  port: " + ports[2] + "\n"));
            this.log = dir.resolve("server.log");
            this.process = launch(this.launcher, launcher == null ? null : dir, config, log);
            awaitHealthy();
        }

        /** A new process on the config file, data directory and ports of {@code before}, which has stopped. */
        private Server(Server before) throws IOException, InterruptedException {
            if (before.process.isAlive()) {
                throw new IllegalStateException("the server to restart still runs");
            }
            this.launcher = before.launcher;
            this.dir = before.dir;
            this.dataDir = before.dataDir;
            this.port = before.port;
            this.metricsPort = before.metricsPort;
            this.config = before.config;
            this.log = before.log;
            this.process = launch(launcher, null, config, log);
            awaitHealthy();
        }

        private static Process launch(Path launcher, Path workDir, Path config, Path log) throws IOException {
            return new ProcessBuilder(launcher.toString(), "server", "start", "--config", config.toString())
                    .directory(workDir == null ? null : workDir.toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        }

        /**
         * Starts this stopped server again (after {@link #kill9()} or {@link #terminate()}) on the same
         * config, data directory and ports, appending to the same log, and waits until it is healthy.
         */
        Server restart() throws IOException, InterruptedException {
            return new Server(this);
        }

        private void awaitHealthy() throws InterruptedException, IOException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new AssertionError("server exited with " + process.exitValue() + ":\n" + Files.readString(log));
                }
                if (Files.exists(dataDir.resolve("api-token"))) {
                    try {
                        HttpResponse<String> r = http("GET", "/api/v1/health", null, token());
                        if (r.statusCode() == 200) {
                            return;
                        }
                    } catch (IOException e) {
                        // not listening yet
                    }
                }
                Thread.sleep(100);
            }
            throw new AssertionError("server not healthy within 60s:\n" + Files.readString(log));
        }

        String token() throws IOException {
            return Files.readString(dataDir.resolve("api-token")).trim();
        }

        String url() {
            return "http://127.0.0.1:" + port;
        }

        /** Runs a client command against this server. */
        Result cli(String... args) {
            List<String> all = new ArrayList<>(List.of(args));
            all.add("--server");
            all.add(url());
            all.add("--data-dir");
            all.add(dataDir.toString());
            return run(launcher, List.of(), all.toArray(String[]::new));
        }

        HttpResponse<String> http(String method, String path, String body, String token) throws IOException, InterruptedException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(60))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            if (token != null) {
                b.header("X-Caxton-Token", token);
            }
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            try (HttpClient c = HttpClient.newHttpClient()) {
                return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
            }
        }

        JsonNode api(String method, String path, String body) throws IOException, InterruptedException {
            HttpResponse<String> r = http(method, path, body, token());
            return JSON.readTree(r.body());
        }

        String log() throws IOException {
            return Files.readString(log);
        }

        /** SIGTERM, then the exit code. */
        int terminate() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("server did not stop within 60s of SIGTERM");
            }
            return process.exitValue();
        }

        void kill9() throws InterruptedException, IOException {
            new ProcessBuilder("kill", "-9", Long.toString(process.pid())).start().waitFor();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                terminate();
            }
        }
    }
}
