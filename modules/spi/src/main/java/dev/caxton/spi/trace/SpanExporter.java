package dev.caxton.spi.trace;

import java.io.IOException;
import java.util.List;

/**
 * Sends finished spans somewhere. The runtime calls {@link #export} from a single thread of its
 * own, never from a thread handling messages, so an implementation may block on the network; it
 * should still give up after a bounded time (its own timeout setting), because spans queue behind it
 * and are dropped once the queue is full.
 */
public interface SpanExporter extends AutoCloseable {

    /**
     * Sends one batch. The runtime does not retry a failed batch: it counts its spans as dropped.
     *
     * @param spans the spans, at most the configured batch size, never empty
     * @throws IOException when the batch could not be delivered (the message says where and why,
     *                     without secrets such as authorization headers)
     */
    void export(List<ExportedSpan> spans) throws IOException;

    /** Releases what the exporter holds; spans not sent by now are lost. */
    @Override
    default void close() {
    }
}
