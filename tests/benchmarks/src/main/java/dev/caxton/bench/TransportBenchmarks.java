package dev.caxton.bench;

import dev.caxton.transport.quic.QuicTransportProvider;
import dev.caxton.transport.tcp.TcpTransportProvider;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.spi.transport.Transport;
import dev.caxton.spi.transport.TransportProvider;
import dev.caxton.testkit.transport.InMemoryTransportProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Two transports on loopback in one JVM, through the transport SPI alone (no envelopes, no
 * serializer): a request-reply round trip of one small frame ({@code roundTrip}, p50/p99 from
 * SampleTime) and one-way throughput of small frames sent back to back, which the transport
 * batches into one flush per burst ({@code oneWay}, frames per second).
 *
 * <pre>
 * java -jar tests/benchmarks/target/benchmarks.jar TransportBenchmarks
 * java -jar tests/benchmarks/target/benchmarks.jar TransportBenchmarks -p transport=tcp -p frameBytes=64
 * </pre>
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TransportBenchmarks {

    /** Frames per invocation of {@code oneWay}. */
    static final int BURST = 1000;

    /** {@code tcp} (epoll), {@code tcp-nio}, {@code quic} (self-signed), or {@code memory} (the testkit's, as a floor). */
    @Param({"tcp", "tcp-nio", "quic", "memory"})
    public String transport;

    /** Size of each frame. */
    @Param({"64", "1024"})
    public int frameBytes;

    private Transport server;
    private Transport client;
    private Connection conn;
    private ByteBuffer frame;
    private final BlockingQueue<Boolean> replies = new ArrayBlockingQueue<>(1);
    private final AtomicLong received = new AtomicLong();
    private long expected;
    private Path dir;

    @Setup
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("caxton-transport-bench");
        TransportProvider provider = switch (transport) {
            case "memory" -> new InMemoryTransportProvider();
            case "quic" -> new QuicTransportProvider();
            default -> new TcpTransportProvider();
        };
        Map<String, Object> options = transport.equals("tcp-nio") ? Map.of("native", false, "io_threads", 1) : transport.equals("tcp")
                ? Map.of("io_threads", 1) : Map.of();
        server = provider.create(new ProviderContext(ProviderConfig.of("transport.x", options), dir, "server"));
        client = provider.create(new ProviderContext(ProviderConfig.of("transport.x", options), dir, "client"));
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        InetSocketAddress addr = server.start(any, new FrameHandler() {
            @Override
            public void onFrame(Connection c, ByteBuffer f) {
                // a reply for round trips (first byte 1), a count for one-way frames
                if (f.get(f.position()) == 1) {
                    c.send(f);
                } else {
                    received.incrementAndGet();
                }
            }
        });
        client.start(any, (c, f) -> { });
        conn = client.connect(addr, (c, f) -> replies.offer(Boolean.TRUE)).get(10, TimeUnit.SECONDS);
        frame = ByteBuffer.allocateDirect(frameBytes);
    }

    @TearDown
    public void tearDown() throws Exception {
        client.close();
        server.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    public Boolean roundTrip() throws InterruptedException {
        frame.put(0, (byte) 1);
        conn.send(frame);
        return replies.take();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OperationsPerInvocation(BURST)
    public long oneWay() {
        frame.put(0, (byte) 0);
        for (int i = 0; i < BURST; i++) {
            conn.send(frame);
        }
        expected += BURST;
        // wait for the burst to land, so the figure is frames delivered, not frames queued
        long r;
        while ((r = received.get()) < expected) {
            Thread.onSpinWait();
        }
        return r;
    }
}
