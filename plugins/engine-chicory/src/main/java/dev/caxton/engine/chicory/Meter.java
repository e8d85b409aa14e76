package dev.caxton.engine.chicory;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.wasm.types.Instruction;

/**
 * Watches every instruction Chicory's interpreter executes for one instance: it counts them
 * against the instance's fuel budget and polls the thread's interrupt flag.
 *
 * <p>The polling is needed because the interpreter checks for interruption only on calls and
 * unconditional branches, so a loop closed by {@code br_if} would otherwise ignore the timeout.
 * Compiled code never calls the listener (it polls by itself), except for functions the compiler
 * left to the interpreter.
 *
 * <p>Used by the one thread that calls into the instance, so plain fields suffice.
 */
final class Meter implements ExecutionListener {

    /** Instructions between two looks at the interrupt flag: cheap, and still microseconds apart. */
    private static final int POLL_MASK = 1023;

    private final long budget;
    private long remaining;
    private int ticks;

    /**
     * Creates a meter.
     *
     * @param budget the instructions one call may execute; 0 for no limit
     */
    Meter(long budget) {
        this.budget = budget;
        this.remaining = budget;
    }

    /** Gives a new outermost call the full budget. */
    void startCall() {
        remaining = budget;
    }

    /** @return what the current or last outermost call has used so far, or -1 without a budget */
    long used() {
        return budget > 0 ? budget - remaining : -1;
    }

    @Override
    public void onExecution(Instruction instruction, MStack stack) {
        if (budget > 0 && --remaining < 0) {
            throw new Failures.OutOfFuel();
        }
        if ((++ticks & POLL_MASK) == 0 && Thread.currentThread().isInterrupted()) {
            throw new ChicoryInterruptedException("Thread interrupted");
        }
    }
}
