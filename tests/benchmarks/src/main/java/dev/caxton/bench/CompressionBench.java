package dev.caxton.bench;

import com.github.luben.zstd.Zstd;
import dev.caxton.transport.tcp.TcpTransportProvider;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.transport.Compression;
import dev.caxton.spi.transport.Connection;
import dev.caxton.spi.transport.FrameHandler;
import dev.caxton.spi.transport.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Frame compression on and off, over the tcp transport on loopback (epoll, one I/O thread a side),
 * with frames of JSON-like envelopes of 64 B, 1 KiB and 16 KiB: request-reply round trips (p50,
 * p99; the reply is the same frame, so both directions are compressed when it is on) and one-way
 * frames per second, each frame delivered. Then the two candidate codecs alone (LZ4 as shipped,
 * zstd-jni level 1 and 3) on the same content: ratio and compress+decompress time per frame.
 *
 * <pre>
 * ./mvnw -q -o -pl tests/benchmarks -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp tests/benchmarks/target/benchmarks.jar dev.caxton.bench.CompressionBench [rounds]
 * </pre>
 * A main rather than JMH: what matters is the latency distribution of whole round trips through two
 * event loops, which a plain loop with nanoTime stamps gives directly. Figures are printed, never
 * checked.
 */
public final class CompressionBench {

    private CompressionBench() {
    }

    /** JSON-like envelope text of exactly {@code size} bytes: keys repeat, values vary. */
    static byte[] json(int size) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; b.length() < size; k++) {
            b.append("{\"performative\":\"request\",\"sender\":\"buyer-").append(k % 3)
                    .append("@n1\",\"receiver\":\"seller-").append(k % 5).append("@n2\",\"conversation_id\":\"c-")
                    .append(1000 + k * 7).append("\",\"content\":{\"item\":\"widget\",\"quantity\":").append(k * 13 % 97)
                    .append(",\"max_price\":").append(k * 31 % 1000).append(".5}},");
        }
        return Arrays.copyOf(b.toString().getBytes(StandardCharsets.UTF_8), size);
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        System.out.printf("machine: %d cpus, %s %s, JDK %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), Runtime.version());
        // one quiet pass first, so the first configuration measured does not pay for the JIT
        for (boolean on : new boolean[] {false, true}) {
            run(1024, on, rounds / 5, false);
        }
        System.out.printf("%-6s %-4s %10s %10s %12s %8s%n", "frame", "lz4", "rt p50 us", "rt p99 us", "frames/s", "ratio");
        for (int size : new int[] {64, 1024, 16 * 1024}) {
            for (boolean on : new boolean[] {false, true}) {
                run(size, on, rounds, true);
            }
        }
        codecs();
    }

    private static void run(int size, boolean on, int rounds, boolean print) throws Exception {
        Path dir = Files.createTempDirectory("caxton-compression-bench");
        Compression compression = on ? new Compression(true, 0) : Compression.OFF;
        Map<String, Object> options = Map.of("io_threads", 1);
        Transport server = new TcpTransportProvider().create(new ProviderContext(ProviderConfig.of("transport.tcp", options),
                dir, "server").withService(Compression.class, compression));
        Transport client = new TcpTransportProvider().create(new ProviderContext(ProviderConfig.of("transport.tcp", options),
                dir, "client").withService(Compression.class, compression));
        AtomicLong received = new AtomicLong();
        BlockingQueue<Boolean> replies = new ArrayBlockingQueue<>(1);
        try {
            InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            InetSocketAddress addr = server.start(any, new FrameHandler() {
                @Override
                public void onFrame(Connection c, ByteBuffer f) {
                    // a leading '{' asks for a reply; a leading '[' is one-way
                    if (f.get(f.position()) == '{') {
                        c.send(f);
                    } else {
                        received.incrementAndGet();
                    }
                }
            });
            client.start(any, (c, f) -> { });
            Connection conn = client.connect(addr, (c, f) -> replies.offer(Boolean.TRUE)).get(10, TimeUnit.SECONDS);
            ByteBuffer request = ByteBuffer.wrap(json(size));
            long[] samples = new long[rounds];
            for (int i = -rounds / 4; i < rounds; i++) { // the first quarter warms up
                long t0 = System.nanoTime();
                conn.send(request);
                replies.take();
                if (i >= 0) {
                    samples[i] = System.nanoTime() - t0;
                }
            }
            Arrays.sort(samples);
            byte[] oneWay = json(size);
            oneWay[0] = '[';
            ByteBuffer frame = ByteBuffer.wrap(oneWay);
            long frames = print ? Math.max(20_000, Math.min(200_000, 200_000_000L / size)) : 50_000;
            long start = System.nanoTime();
            for (long i = 0; i < frames; i++) {
                // back-pressure as the router applies it: no new frame while the connection is full
                while (!conn.isWritable()) {
                    if (!conn.isOpen()) {
                        throw new IllegalStateException("connection closed");
                    }
                    Thread.onSpinWait();
                }
                conn.send(frame);
            }
            while (received.get() < frames) {
                Thread.onSpinWait();
            }
            double perSecond = frames / ((System.nanoTime() - start) / 1e9);
            String ratio = on ? String.format("%.2f", wireRatio(size)) : "-";
            if (print) {
                System.out.printf("%-6s %-4s %10.1f %10.1f %12.0f %8s%n", size + "B", on ? "on" : "off",
                        samples[rounds / 2] / 1e3, samples[(int) (rounds * 0.99)] / 1e3, perSecond, ratio);
            }
        } finally {
            client.close();
            server.close();
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Bytes on the wire with compression on over bytes with it off, for one frame of this size. */
    private static double wireRatio(int size) {
        var codec = new dev.caxton.transport.netty.FrameCodec("transport.tcp", 1 << 24, new Compression(true, 0));
        var buf = codec.encode(io.netty.buffer.ByteBufAllocator.DEFAULT, ByteBuffer.wrap(json(size)));
        try {
            return buf.readableBytes() / (double) (size + 4);
        } finally {
            buf.release();
        }
    }

    /** Each codec alone on the same content: compressed/original size, and µs to compress then decompress one frame. */
    private static void codecs() {
        LZ4Factory lz4 = LZ4Factory.nativeInstance();
        LZ4Compressor c = lz4.fastCompressor();
        LZ4SafeDecompressor d = lz4.safeDecompressor();
        System.out.printf("%n%-6s %-10s %8s %12s%n", "frame", "codec", "ratio", "us/frame");
        for (int size : new int[] {64, 1024, 16 * 1024}) {
            byte[] in = json(size);
            byte[] back = new byte[size];
            int n = Math.max(2000, 20_000_000 / size);
            for (int pass = 0; pass < 2; pass++) { // the first pass warms up
                long t0 = System.nanoTime();
                int out = 0;
                for (int i = 0; i < n; i++) {
                    byte[] z = c.compress(in);
                    out = z.length;
                    d.decompress(z, 0, z.length, back, 0);
                }
                if (pass == 1) {
                    System.out.printf("%-6s %-10s %8.2f %12.2f%n", size + "B", "lz4", (double) out / size,
                            (System.nanoTime() - t0) / 1e3 / n);
                }
            }
            for (int level : new int[] {1, 3}) {
                for (int pass = 0; pass < 2; pass++) {
                    long t0 = System.nanoTime();
                    int out = 0;
                    for (int i = 0; i < n; i++) {
                        byte[] z = Zstd.compress(in, level);
                        out = z.length;
                        Zstd.decompress(z, size);
                    }
                    if (pass == 1) {
                        System.out.printf("%-6s %-10s %8.2f %12.2f%n", size + "B", "zstd-" + level, (double) out / size,
                                (System.nanoTime() - t0) / 1e3 / n);
                    }
                }
            }
        }
    }
}
