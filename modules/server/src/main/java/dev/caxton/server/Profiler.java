package dev.caxton.server;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.jfr.AgentFaultEvent;
import dev.caxton.runtime.jfr.MessageHandledEvent;
import dev.caxton.server.HttpListener.FileBody;
import dev.caxton.server.HttpListener.Reply;
import dev.caxton.spi.ConfigException;
import dev.caxton.spi.Quantities;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * {@code POST /api/v1/profile/cpu} and {@code POST /api/v1/profile/memory}: a Java Flight Recorder
 * recording of the node for {@code ?duration=} (default 30s, at most {@link #MAX_DURATION}), answered
 * with the {@code .jfr} file once it ends; {@code GET /api/v1/profile} says whether one runs and
 * {@code POST /api/v1/profile/stop} ends it early (the waiting request then gets the file).
 *
 * <p>Why the request is held open for the whole recording rather than started and fetched later:
 * a recording nobody downloads would otherwise linger on disk; tying it to the connection means a
 * client that goes away stops it and its file is deleted. Why one at a time: a second recording
 * adds its own overhead to what the first measures, and the JVM's settings would be merged across
 * the two. The file is written to the data directory first (JFR writes files, not streams) and sent
 * from there without reading it into memory, then deleted.
 */
final class Profiler {

    private static final System.Logger LOG = System.getLogger(Profiler.class.getName());

    /** The longest recording the endpoint takes; longer ones belong to a JFR started with the JVM. */
    static final Duration MAX_DURATION = Duration.ofMinutes(10);
    static final Duration MIN_DURATION = Duration.ofMillis(100);
    static final Duration DEFAULT_DURATION = Duration.ofSeconds(30);

    /** Files being written are named so; one left by a node killed mid-recording is removed at the next. */
    static final String TEMP_PREFIX = "profile-in-progress-";

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    /** What a memory recording enables: allocation samples, leak candidates and the heap after each GC. */
    private static final String[] MEMORY_EVENTS = {"jdk.ObjectAllocationSample", "jdk.OldObjectSample",
        "jdk.GCHeapSummary", "jdk.GarbageCollection", "jdk.GCPhasePause", "jdk.MetaspaceSummary",
        "jdk.ObjectCountAfterGC"};

    private final CaxtonNode node;
    private final Executor executor;
    private final AtomicReference<Running> running = new AtomicReference<>();

    private record Running(String kind, Instant startedAt, Instant endsAt, AtomicReference<Runnable> stopNow) {
    }

    Profiler(CaxtonNode node, Executor executor) {
        this.node = node;
        this.executor = executor;
    }

    /**
     * Answers one request under {@code /api/v1/profile}.
     *
     * @param method the method
     * @param rest   the path after {@code /api/v1/profile}, without trailing slashes ({@code ""}, {@code "/cpu"}, ...)
     * @param query  the raw query string, or null
     * @return the reply, later for a recording
     * @throws ApiError for a bad request, 409 while a recording runs
     */
    CompletableFuture<Reply> handle(String method, String rest, String query) {
        if (rest.isEmpty()) {
            if (!method.equals("GET")) {
                throw new ApiError(405, "method " + method + " not allowed here; use GET", Map.of(), Map.of("Allow", "GET"));
            }
            return CompletableFuture.completedFuture(Reply.json(200, status(), Map.of()));
        }
        String kind = rest.substring(1);
        if (kind.equals("stop")) {
            if (!method.equals("POST")) {
                throw new ApiError(405, "method " + method + " not allowed here; use POST", Map.of(), Map.of("Allow", "POST"));
            }
            Running r = running.get();
            Runnable stop = r == null ? null : r.stopNow().get();
            if (stop == null) {
                throw new ApiError(409, "no recording is running on this node" + (r == null ? "" : "yet (one is starting; try again)"), Map.of("kind", "conflict"));
            }
            stop.run();
            return CompletableFuture.completedFuture(Reply.json(200, Map.of("stopped", r.kind()), Map.of()));
        }
        if (!kind.equals("cpu") && !kind.equals("memory")) {
            throw new ApiError(404, "no such profile: '" + kind + "'; use /api/v1/profile/cpu or /api/v1/profile/memory",
                    Map.of("kind", "not_found"));
        }
        if (!method.equals("POST")) {
            throw new ApiError(405, "method " + method + " not allowed here; use POST", Map.of(), Map.of("Allow", "POST"));
        }
        Duration duration = duration(query);
        Instant now = Instant.now();
        Running r = new Running(kind, now, now.plus(duration), new AtomicReference<>());
        if (!running.compareAndSet(null, r)) {
            Running other = running.get();
            throw new ApiError(409, "a " + (other == null ? "" : other.kind() + " ") + "recording of this node is already "
                    + "running" + (other == null ? "" : " until " + other.endsAt()) + "; one runs at a time",
                    Map.of("kind", "conflict"), Map.of("Retry-After",
                            Long.toString(other == null ? 1 : Math.max(1, Duration.between(now, other.endsAt()).toSeconds() + 1))));
        }
        Path file = node.dataDir().resolve(TEMP_PREFIX + UUID.randomUUID().toString().substring(0, 8) + ".jfr");
        Recording rec;
        long startMillis;
        try {
            removeLeftovers();
            rec = recording(kind, duration);
            long t0 = System.nanoTime();
            rec.start();
            startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        } catch (RuntimeException | IOException | ParseException e) {
            running.set(null);
            LOG.log(System.Logger.Level.WARNING, "cannot start a {0} recording: {1}", kind, e.toString());
            throw new ApiError(500, "cannot start the " + kind + " recording: " + e.getMessage(), Map.of("kind", "profile"));
        }
        LOG.log(System.Logger.Level.INFO, "{0} recording started for {1} ms (JFR took {2} ms to start)", kind,
                duration.toMillis(), startMillis);
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                rec.close();
                delete(file);
                running.set(null);
            }
        };
        CompletableFuture<Reply> result = new CompletableFuture<>();
        // The client hanging up cancels the reply: the recording stops with it.
        result.whenComplete((reply, t) -> {
            if (result.isCancelled()) {
                LOG.log(System.Logger.Level.INFO, "{0} recording abandoned: the client went away; nothing is kept", kind);
                release.run();
            }
        });
        AtomicBoolean finishing = new AtomicBoolean();
        Runnable finish = () -> {
            if (result.isDone() || !finishing.compareAndSet(false, true)) {
                return;
            }
            try {
                rec.stop();
                rec.dump(file);
                rec.close();
                long size = Files.size(file);
                LOG.log(System.Logger.Level.INFO, "{0} recording ended: {1} bytes; sending it", kind, size);
                Map<String, String> headers = new LinkedHashMap<>();
                headers.put("Content-Disposition", "attachment; filename=\"caxton-"
                        + node.config().string("server.node_name").replaceAll("[^A-Za-z0-9._-]", "_") + "-" + kind + "-"
                        + STAMP.format(r.startedAt()) + ".jfr\"");
                Reply reply = new Reply(200, "application/octet-stream", new byte[0], headers, new FileBody(file, release));
                if (!result.complete(reply)) {
                    release.run();
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "the {0} recording could not be written to {1}: {2}", kind, file, e.toString());
                release.run();
                result.completeExceptionally(new ApiError(500, "the " + kind + " recording could not be written; "
                        + "see the node's log", Map.of("kind", "profile")));
            }
        };
        r.stopNow().set(() -> executor.execute(finish));
        CompletableFuture.runAsync(finish, CompletableFuture.delayedExecutor(duration.toMillis(), TimeUnit.MILLISECONDS, executor));
        return result;
    }

    private Map<String, Object> status() {
        Running r = running.get();
        Map<String, Object> m = new LinkedHashMap<>();
        // Running only once JFR has started it: starting can take a while, and what a client does
        // before then is not in the recording.
        m.put("running", r != null && r.stopNow().get() != null);
        m.put("starting", r != null && r.stopNow().get() == null);
        if (r != null) {
            m.put("kind", r.kind());
            m.put("started_at", r.startedAt().toString());
            m.put("ends_at", r.endsAt().toString());
        }
        m.put("max_duration_ms", MAX_DURATION.toMillis());
        return m;
    }

    /** The query's {@code duration}, bounded; the error names the parameter and the range. */
    static Duration duration(String query) {
        String raw = null;
        if (query != null) {
            for (String kv : query.split("&")) {
                if (kv.startsWith("duration=")) {
                    raw = java.net.URLDecoder.decode(kv.substring("duration=".length()), java.nio.charset.StandardCharsets.UTF_8);
                } else if (!kv.isEmpty()) {
                    String name = kv.contains("=") ? kv.substring(0, kv.indexOf('=')) : kv;
                    throw new ApiError(400, "unknown query parameter '" + name + "'; only 'duration' is accepted",
                            Map.of("field", name));
                }
            }
        }
        if (raw == null) {
            return DEFAULT_DURATION;
        }
        Duration d;
        try {
            d = Quantities.duration("duration", raw);
        } catch (ConfigException e) {
            throw new ApiError(400, "query parameter 'duration': expected a duration such as 500ms, 30s or 2m, got '"
                    + raw + "'", Map.of("field", "duration"));
        }
        if (d.compareTo(MIN_DURATION) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw new ApiError(400, "query parameter 'duration' must be between " + MIN_DURATION.toMillis() + "ms and "
                    + MAX_DURATION.toMinutes() + "m, got " + raw, Map.of("field", "duration"));
        }
        return d;
    }

    private static Recording recording(String kind, Duration duration) throws IOException, ParseException {
        Recording rec;
        if (kind.equals("cpu")) {
            // "profile" is the JDK's own low-overhead set for finding where time goes (execution samples every 10-20 ms).
            rec = new Recording(Configuration.getConfiguration("profile"));
        } else {
            rec = new Recording();
            for (String e : MEMORY_EVENTS) {
                rec.enable(e);
            }
            rec.enable("jdk.ObjectAllocationSample").with("throttle", "150/s");
            rec.enable("jdk.OldObjectSample").withStackTrace().with("cutoff", "0 ns");
        }
        rec.enable(MessageHandledEvent.NAME).withoutThreshold();
        rec.enable(AgentFaultEvent.NAME);
        rec.setName("caxton-" + kind);
        rec.setToDisk(true);
        // A safety net if the node never gets to stop it (the reply is normally sent long before).
        rec.setDuration(duration.plusMinutes(1));
        return rec;
    }

    private void removeLeftovers() {
        try (DirectoryStream<Path> old = Files.newDirectoryStream(node.dataDir(), TEMP_PREFIX + "*")) {
            for (Path p : old) {
                delete(p);
            }
        } catch (IOException e) {
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete the temporary recording {0}: {1}", p, e.toString());
        }
    }
}
