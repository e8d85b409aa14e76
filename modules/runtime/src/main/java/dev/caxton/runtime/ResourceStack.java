package dev.caxton.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What a starting node has taken so far, released in the reverse order it was taken. A node starts
 * in steps (storage, serializer, engine, transport, membership, routing); when step k fails, the
 * steps k-1 down to 1 are closed, newest first, so a half-started node leaves no thread, socket or
 * file lock behind. A failure while closing one resource is logged and the others are still closed.
 */
final class ResourceStack implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ResourceStack.class.getName());

    /** Releases one resource. */
    @FunctionalInterface
    public interface Release {
        /**
         * Releases it.
         *
         * @throws Exception when releasing fails (logged, not rethrown)
         */
        void release() throws Exception;
    }

    private record Entry(String name, Release release) {
    }

    private final Deque<Entry> entries = new ArrayDeque<>();
    private boolean closed;

    /**
     * Records a resource just taken.
     *
     * @param name    what it is, for logs
     * @param release how to give it back
     * @throws IllegalStateException when the stack was closed already
     */
    public synchronized void push(String name, Release release) {
        if (closed) {
            throw new IllegalStateException("the node is already stopped; cannot take '" + name + "'");
        }
        entries.push(new Entry(name, release));
    }

    /** @return the names of the resources held, newest first */
    public synchronized List<String> names() {
        List<String> out = new ArrayList<>();
        entries.forEach(e -> out.add(e.name()));
        return out;
    }

    /** Releases every resource, newest first. Idempotent. */
    @Override
    public void close() {
        while (true) {
            Entry e;
            synchronized (this) {
                closed = true;
                e = entries.poll();
            }
            if (e == null) {
                return;
            }
            try {
                e.release().release();
            } catch (Exception ex) {
                LOG.log(System.Logger.Level.WARNING, "releasing the {0} failed: {1}", e.name(), ex.toString());
            }
        }
    }
}
