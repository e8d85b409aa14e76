package dev.caxton.testkit.trace;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.trace.ExportedSpan;
import dev.caxton.spi.trace.SpanExporter;
import dev.caxton.spi.trace.SpanExporterProvider;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An exporter that keeps every span it is given in memory, for tests of code that exports spans.
 * It can be told to fail ({@link #failing}) or to hang until released ({@link #blocking}), which is
 * how a test plays a dead or slow collector without a network. Named {@code fake}; no options.
 */
public final class FakeSpanExporterProvider implements SpanExporterProvider {

    /** The provider name. */
    public static final String NAME = "fake";

    private final List<ExportedSpan> spans = new CopyOnWriteArrayList<>();
    private final List<Map<String, String>> resources = new CopyOnWriteArrayList<>();
    private volatile boolean failing;
    private volatile CountDownLatch gate;

    /** Creates the provider. */
    public FakeSpanExporterProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Keeps spans in memory (testkit fake)";
    }

    @Override
    public SpanExporter create(ProviderContext context, Map<String, String> resource) {
        resources.add(Map.copyOf(resource));
        return batch -> {
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while blocked");
                }
            }
            if (failing) {
                throw new IOException("the fake collector refuses every batch");
            }
            spans.addAll(batch);
        };
    }

    /** @return every span exported so far, in the order received */
    public List<ExportedSpan> spans() {
        return new ArrayList<>(spans);
    }

    /** @return the resource attributes of every exporter created */
    public List<Map<String, String>> resources() {
        return new ArrayList<>(resources);
    }

    /**
     * Makes exports fail (or succeed again).
     *
     * @param fail whether every batch is refused
     */
    public void failing(boolean fail) {
        this.failing = fail;
    }

    /**
     * Makes exports hang until {@link #release()}, as a collector that accepts the connection and
     * never answers.
     */
    public void blocking() {
        this.gate = new CountDownLatch(1);
    }

    /** Lets hanging exports go on, and later ones pass straight through. */
    public void release() {
        CountDownLatch g = gate;
        gate = null;
        if (g != null) {
            g.countDown();
        }
    }
}
