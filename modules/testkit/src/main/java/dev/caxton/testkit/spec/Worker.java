package dev.caxton.testkit.spec;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The thread a script's engine calls run on, so that the runner can stop waiting for one that
 * hangs. Every command of a script runs on the same thread (instances are used by one thread at a
 * time); when a command overstays its deadline the thread is interrupted and abandoned, and the
 * worker refuses further work, since the abandoned thread may still be inside an instance.
 */
final class Worker implements AutoCloseable {

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ExecutorService executor;
    private boolean abandoned;

    /**
     * @param script    the script, for the thread's name
     * @param stackSize the thread's stack size in bytes (deep but finite guest recursion must not
     *                  be mistaken for exhaustion on engines that recurse on the Java stack)
     */
    Worker(String script, long stackSize) {
        this.executor = Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(null, task, "caxton-spec-" + script + "-" + THREADS.incrementAndGet(), stackSize);
            // Daemon: an abandoned thread stuck in guest code must not keep the JVM alive.
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Runs a task on the worker thread and waits for it.
     *
     * @param task     the task; it must catch what the engine throws itself
     * @param deadline how long to wait
     * @param <T>      the result type
     * @return the task's result, or null when it did not finish in time (the worker is then
     *         abandoned)
     * @throws IllegalStateException when the worker was abandoned before
     * @throws RuntimeException      what the task threw (a runner bug, since tasks catch engine failures)
     */
    <T> T run(Supplier<T> task, Duration deadline) {
        if (abandoned) {
            throw new IllegalStateException("the worker was abandoned after a hung command");
        }
        Future<T> f = executor.submit(task::get);
        try {
            return f.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            abandoned = true;
            executor.shutdownNow();
            return null;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            abandoned = true;
            executor.shutdownNow();
            throw new IllegalStateException("interrupted while waiting for a spec command", e);
        }
    }

    /** @return whether a command hung and the thread was given up */
    boolean abandoned() {
        return abandoned;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
