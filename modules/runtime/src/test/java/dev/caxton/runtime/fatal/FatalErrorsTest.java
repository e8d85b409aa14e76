package dev.caxton.runtime.fatal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FatalErrorsTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);

    @Test
    void anErrorEscapingAThreadStopsTheProcessWithStatus70() throws Exception {
        CompletableFuture<Integer> exited = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            throw new OutOfMemoryError("simulated: Java heap space");
        }, "agent-hog");
        t.setUncaughtExceptionHandler(FatalErrors.handler(errStream, exited::complete));
        t.start();
        assertThat(exited.get(60, TimeUnit.SECONDS)).isEqualTo(70);
        t.join();
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("FATAL: OutOfMemoryError on thread agent-hog")
                .contains("simulated: Java heap space");
    }

    @Test
    void anErrorInATimerTaskIsNotSwallowed() throws Exception {
        CompletableFuture<Integer> exited = new CompletableFuture<>();
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        var timers = FatalErrors.scheduler("test-timers");
        try {
            FatalErrors.install(errStream, exited::complete);
            timers.schedule(() -> {
                throw new OutOfMemoryError("simulated in a timer");
            }, 1, TimeUnit.MILLISECONDS);
            assertThat(exited.get(60, TimeUnit.SECONDS)).isEqualTo(70);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("on thread test-timers");
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(before);
            timers.shutdownNow();
        }
    }

    @Test
    void aStackOverflowOutsideAGuestCallIsFatalToo() {
        int[] status = {-1};
        FatalErrors.handler(errStream, s -> status[0] = s).uncaughtException(Thread.currentThread(), new StackOverflowError());
        assertThat(status[0]).isEqualTo(FatalErrors.EXIT_STATUS);
    }

    @Test
    void anOrdinaryExceptionEndsOnlyItsThread() {
        int[] status = {-1};
        FatalErrors.handler(errStream, s -> status[0] = s)
                .uncaughtException(Thread.currentThread(), new IllegalStateException("just this thread"));
        assertThat(status[0]).isEqualTo(-1);
    }
}
