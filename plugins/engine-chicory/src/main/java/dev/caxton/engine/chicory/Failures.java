package dev.caxton.engine.chicory;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.wasm.ChicoryException;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmFuelExhaustedException;
import dev.caxton.spi.engine.WasmTimeoutException;
import dev.caxton.spi.engine.WasmTrapException;

import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Turns whatever escaped guest code into the SPI's exceptions, so no Chicory exception and no
 * {@link Error} reaches the runtime.
 */
final class Failures {

    private Failures() {
    }

    /**
     * Carries an exception a host function threw through Chicory, marked so that it is reported
     * as the host's fault (with the original as the cause) rather than as a guest trap.
     */
    static final class HostFunctionFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String function;

        /**
         * @param function the host function, as {@code module.name}
         * @param cause    what it threw
         */
        HostFunctionFailure(String function, RuntimeException cause) {
            super("host function " + function + " failed", cause, false, false);
            this.function = function;
        }
    }

    /** WASI's proc_exit, which ends the call: a guest that exits cannot go on handling messages. */
    static final class GuestExit extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int code;

        /** @param code the exit code the guest gave */
        GuestExit(int code) {
            super("exit code " + code, null, false, false);
            this.code = code;
        }
    }

    /** Thrown by the meter when a call has used up its fuel; needs no stack trace. */
    static final class OutOfFuel extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OutOfFuel() {
            super("out of fuel", null, false, false);
        }
    }

    /**
     * Describes a failed call or start function.
     *
     * @param what     what was running, e.g. {@code "call to 'handle_message'"}
     * @param failure  what escaped
     * @param timedOut whether the call's deadline fired
     * @param engineClosed whether the engine has been closed (which fires every deadline)
     * @param limits   the instance's limits, for the message
     * @return the exception to throw
     */
    static WasmTrapException translate(String what, Throwable failure, boolean timedOut, boolean engineClosed,
                                       InstanceLimits limits) {
        // A fired deadline explains whatever followed it, even a host function that gave up
        // because it saw the interrupt. Closing the engine fires every pending deadline.
        if (timedOut && engineClosed) {
            return new WasmTrapException(what + " was stopped: the engine was closed", failure);
        }
        if (timedOut) {
            return new WasmTimeoutException(what + " exceeded its execution timeout of "
                    + millis(limits.executionTimeout()), failure);
        }
        GuestExit exit = find(failure, GuestExit.class);
        if (exit != null) {
            return new WasmTrapException(what + " ended: the guest called proc_exit with exit code " + exit.code, failure);
        }
        HostFunctionFailure host = find(failure, HostFunctionFailure.class);
        if (host != null) {
            Throwable cause = host.getCause();
            return new WasmTrapException(what + " failed in host function " + host.function + ": "
                    + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()),
                    cause);
        }
        if (find(failure, OutOfFuel.class) != null) {
            return new WasmFuelExhaustedException(what + " ran out of fuel: it executed more than "
                    + limits.fuel() + " instructions", failure);
        }
        if (isStackExhaustion(failure)) {
            return new WasmTrapException(what + " trapped: call stack exhausted", failure);
        }
        if (find(failure, ChicoryInterruptedException.class) != null) {
            // Someone else interrupted the thread (a shutdown, say); its flag stays set for them.
            return new WasmTrapException(what + " was interrupted: the calling thread was interrupted", failure);
        }
        if (failure instanceof OutOfMemoryError) {
            return new WasmTrapException(what + " failed: the JVM ran out of memory while it ran", failure);
        }
        if (failure instanceof com.dylibso.chicory.runtime.WasmException) {
            return new WasmTrapException(what + " trapped: uncaught WebAssembly exception", failure);
        }
        if (failure instanceof ChicoryException) {
            return new WasmTrapException(what + " trapped: " + message(failure), failure);
        }
        // Anything else (an AssertionError under -ea included) is Chicory failing in an unplanned
        // way on this guest; still contained.
        return new WasmTrapException(what + " trapped: engine failure: " + failure, failure);
    }

    private static boolean isStackExhaustion(Throwable failure) {
        if (find(failure, StackOverflowError.class) != null) {
            return true;
        }
        ChicoryException e = find(failure, ChicoryException.class);
        return e != null && "call stack exhausted".equals(e.getMessage());
    }

    /** The innermost meaningful message: Chicory wraps start-function traps with the same text. */
    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** Finds an exception of a type in a cause chain, guarding against cycles. */
    static <T extends Throwable> T find(Throwable t, Class<T> type) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable c = t; c != null && seen.put(c, Boolean.TRUE) == null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String millis(Duration d) {
        return d.toMillis() + " ms";
    }
}
