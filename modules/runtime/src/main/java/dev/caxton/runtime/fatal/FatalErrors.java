package dev.caxton.runtime.fatal;

import java.io.PrintStream;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * What happens when an {@link Error} escapes a node thread (an agent's worker, an HTTP handler, a
 * timer): the node stops, loudly. After an {@link OutOfMemoryError} or a {@link StackOverflowError}
 * outside a guest call nothing says which invariants still hold (a dispatcher thread may be gone, a
 * lock half-released, an agent's thread dead while the node still reports it up), so a node that
 * carries on is worse than one that stops: a supervisor (systemd, Kubernetes) restarts a process
 * that exits, never one that hangs half alive.
 *
 * <p>Guest faults are not errors of this kind: the engines turn a guest's stack overflow or trap
 * into a {@code WasmTrapException} inside the call, and the agent only replaces its instance.
 */
public final class FatalErrors {

    /** The exit status after a fatal error: EX_SOFTWARE of sysexits.h, an internal software error. */
    public static final int EXIT_STATUS = 70;

    /** What to do once a fatal error is logged; {@link Runtime#halt} outside tests. */
    @FunctionalInterface
    public interface Exit {
        /**
         * Ends the process.
         *
         * @param status the exit status
         */
        void exit(int status);
    }

    private FatalErrors() {
    }

    /**
     * Installs the JVM-wide handler for exceptions that escape a thread: an {@link Error} stops the
     * process with {@link #EXIT_STATUS}; any other exception is logged and only ends its thread, as
     * before.
     *
     * @param err  where the last words go (standard error)
     * @param exit how the process ends
     */
    public static void install(PrintStream err, Exit exit) {
        Thread.setDefaultUncaughtExceptionHandler(handler(err, exit));
    }

    /**
     * The handler {@link #install} installs, for tests and for threads that want it explicitly.
     *
     * @param err  where the last words go
     * @param exit how the process ends
     * @return the handler
     */
    public static Thread.UncaughtExceptionHandler handler(PrintStream err, Exit exit) {
        Objects.requireNonNull(err, "err");
        Objects.requireNonNull(exit, "exit");
        return (thread, e) -> {
            if (e instanceof Error) {
                onFatal(thread, e, err, exit);
            } else {
                try {
                    System.getLogger(FatalErrors.class.getName()).log(System.Logger.Level.ERROR,
                            "thread " + thread.getName() + " ended by an uncaught exception", e);
                } catch (Throwable ignored) {
                    // logging itself failed; the thread ends either way
                }
            }
        };
    }

    /**
     * A single-thread scheduler for node timers whose tasks' {@link Error}s are not swallowed: a
     * scheduled task's failure normally stays inside its {@code Future}, where nobody looks, so an
     * {@link OutOfMemoryError} in a timer would leave the node without its timers and without a
     * word. Here it is rethrown on the timer thread and reaches the uncaught-exception handler.
     *
     * @param threadName the name of its daemon thread
     * @return the scheduler
     */
    public static ScheduledThreadPoolExecutor scheduler(String threadName) {
        return new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        }) {
            @Override
            protected void afterExecute(Runnable r, Throwable t) {
                super.afterExecute(r, t);
                if (r instanceof Future<?> f && f.isDone() && !f.isCancelled()) {
                    try {
                        f.get();
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof Error error) {
                            throw error;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (CancellationException e) {
                        // cancelled between the check and get: nothing ran to fail
                    }
                }
            }
        };
    }

    /**
     * Stops the node for a fatal error caught somewhere other than an uncaught-exception handler.
     *
     * @param thread the thread it happened on
     * @param e      the error
     * @param err    where the last words go
     * @param exit   how the process ends
     */
    public static void onFatal(Thread thread, Throwable e, PrintStream err, Exit exit) {
        try {
            // Plain print first: it allocates little, and the logger may be what broke.
            err.println("FATAL: " + e.getClass().getSimpleName() + " on thread " + thread.getName()
                    + "; the node stops (exit status " + EXIT_STATUS + ") so that a supervisor restarts it");
            e.printStackTrace(err);
            err.flush();
        } catch (Throwable ignored) {
            // nothing more can be said; exit regardless
        } finally {
            exit.exit(EXIT_STATUS);
        }
    }
}
