package dev.caxton.engine.wasmtime;

import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmFuelExhaustedException;
import dev.caxton.spi.engine.WasmTimeoutException;
import dev.caxton.spi.engine.WasmTrapException;
import io.github.kawamuray.wasmtime.Trap;
import io.github.kawamuray.wasmtime.WasmFunctionError;
import io.github.kawamuray.wasmtime.WasmtimeException;

import java.time.Duration;

/**
 * Turns what comes back from a failed call into the SPI's exceptions, so nothing the binding
 * throws reaches the runtime as anything else.
 *
 * <p>The binding loses an exception a host function throws (it keeps only its message), so host
 * functions record it in their store's {@link HostCalls} before unwinding, and it becomes the
 * cause here.
 */
final class Failures {

    private Failures() {
    }

    /** Thrown through the binding by a host function that failed; its message is all the binding keeps. */
    static final class HostCallAborted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HostCallAborted(String function) {
            super("host function " + function + " failed", null, false, false);
        }
    }

    /**
     * What host functions did during the current outermost call of one store: how many ran, the
     * exception one of them threw, and a generation number that changes whenever guest code may
     * have run (so that cached views of a memory are fetched again). One per store: a store runs
     * one call at a time. Host function wrappers hold this object, never the store's context.
     */
    static final class HostCalls {
        private final long limit;
        private long count;
        private long generation;
        private String function;
        private Throwable failure;

        /** @param limit the most host calls one outermost call may make */
        HostCalls(long limit) {
            this.limit = limit;
        }

        /** Starts an outermost call: nothing has happened yet. */
        void startOutermost() {
            count = 0;
            clearFailure();
            generation++;
        }

        /** Forgets a failure that was already reported (by a nested call). */
        void clearFailure() {
            function = null;
            failure = null;
        }

        /** Notes that guest code may have run, for cached memory views. */
        void touch() {
            generation++;
        }

        /** @return the current generation */
        long generation() {
            return generation;
        }

        /**
         * Counts a host call about to start.
         *
         * @param fn the host function, as {@code module.name}
         * @return whether it may run; when not, the failure is recorded
         */
        boolean admit(String fn) {
            generation++;
            if (++count > limit) {
                record(fn, new HostCallLimitException(limit));
                return false;
            }
            return true;
        }

        /**
         * Records a failure; the first one wins, since later ones are consequences.
         *
         * @param fn the host function, as {@code module.name}
         * @param t  what it threw
         */
        void record(String fn, Throwable t) {
            if (failure == null) {
                function = fn;
                failure = t;
            }
        }
    }

    /** Marks a call stopped for making too many host calls. */
    static final class HostCallLimitException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long limit;

        HostCallLimitException(long limit) {
            super("more than " + limit + " host calls in one call", null, false, false);
            this.limit = limit;
        }
    }

    /**
     * Describes a failed call.
     *
     * @param what    what was running, e.g. {@code "call to 'handle_message'"}
     * @param failure what the binding threw
     * @param host    the failure recorded by a host function during the call
     * @param limits  the instance's limits, for the message
     * @return the exception to throw
     */
    static RuntimeException translate(String what, Throwable failure, HostCalls host, InstanceLimits limits) {
        if (failure instanceof WasmFunctionError.TrapError trapError) {
            Trap trap = trapError.trap();
            if (trap == Trap.INTERRUPT) {
                return new WasmTimeoutException(what + " exceeded its execution timeout of "
                        + millis(limits.executionTimeout()), failure);
            }
            if (trap == Trap.OUF_OF_FUEL) {
                return new WasmFuelExhaustedException(what + " ran out of fuel", failure);
            }
            return new WasmTrapException(what + " trapped: " + describe(trap), failure);
        }
        if (host.failure instanceof HostCallLimitException tooMany) {
            return new WasmTrapException(what + " was stopped after " + tooMany.limit + " host calls, the most one call"
                    + " may make in this engine (the wasmtime-java binding keeps every host call's values in memory"
                    + " until the call returns)");
        }
        if (host.failure instanceof WasiPreview1.GuestExit exit) {
            return new WasmTrapException(what + " ended: the guest called proc_exit with exit code " + exit.code(),
                    exit);
        }
        if (host.failure != null) {
            Throwable cause = host.failure;
            if (cause instanceof StackOverflowError) {
                return new WasmTrapException(what + " failed: call stack exhausted in host function "
                        + host.function, cause);
            }
            if (cause instanceof Error error) {
                // The JVM is in trouble (out of memory, say), not the guest: pass it on untouched.
                throw error;
            }
            return new WasmTrapException(what + " failed in host function " + host.function + ": "
                    + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()),
                    cause);
        }
        if (failure instanceof StackOverflowError) {
            return new WasmTrapException(what + " trapped: call stack exhausted", failure);
        }
        if (failure.getClass() == RuntimeException.class && "not implemented".equals(failure.getMessage())) {
            // The binding's answer when a result is a v128 or a reference: it cannot make a Java value of it.
            return new IllegalArgumentException(what + " completed, but returned a value the wasmtime-java binding"
                    + " cannot hand back (only i32, i64, f32 and f64 cross it)", failure);
        }
        if (failure instanceof WasmtimeException) {
            return new WasmTrapException(what + " failed: " + firstLine(failure.getMessage()), failure);
        }
        return new WasmTrapException(what + " failed inside the wasmtime-java binding: " + failure, failure);
    }

    /**
     * Words for a trap, as the WebAssembly specification's tests phrase them.
     *
     * @param trap the trap
     * @return the description
     */
    static String describe(Trap trap) {
        return switch (trap) {
            case STACK_OVERFLOW -> "call stack exhausted (stack overflow)";
            case MEMORY_OUT_OF_BOUNDS -> "out of bounds memory access";
            case HEAP_MISALIGNED -> "unaligned atomic memory access";
            case TABLE_OUT_OF_BOUNDS -> "out of bounds table access";
            case INDIRECT_CALL_TO_NULL -> "uninitialized element (indirect call to a null table entry)";
            case BAD_SIGNATURE -> "indirect call type mismatch";
            case INTEGER_OVERFLOW -> "integer overflow";
            case INTEGER_DIVISION_BY_ZERO -> "integer divide by zero";
            case BAD_CONVERSION_TO_INTEGER -> "invalid conversion to integer";
            case UNREACHABLE_CODE_REACHED -> "unreachable instruction executed";
            case INTERRUPT -> "interrupted";
            case OUF_OF_FUEL -> "out of fuel";
            default -> "wasmtime trap " + trap;
        };
    }

    /**
     * The first line of a message: Wasmtime appends a multi-line backtrace to some.
     *
     * @param message the message, possibly null
     * @return its first line
     */
    static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private static String millis(Duration d) {
        return d.toMillis() + " ms";
    }
}
