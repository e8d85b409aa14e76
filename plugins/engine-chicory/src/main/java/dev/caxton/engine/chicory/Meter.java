package dev.caxton.engine.chicory;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.wasm.types.Instruction;

/**
 * Keeps one instance's fuel budget, in one of two ways:
 *
 * <ul>
 *   <li><b>counting</b>: Chicory's interpreter reports every instruction it executes, and the meter
 *       counts them against the budget;</li>
 *   <li><b>in the module</b>: the module was rewritten to meter itself (see
 *       {@link dev.caxton.wasm.metering.FuelMetering}), with the same counts, so that it can run
 *       compiled; the fuel left lives in one of its globals, which the meter fills before each
 *       outermost call and reads afterwards.</li>
 * </ul>
 *
 * <p>Either way it also polls the thread's interrupt flag for interpreted code: the interpreter
 * checks for interruption only on calls and unconditional branches, so a loop closed by
 * {@code br_if} would otherwise ignore the timeout. Compiled code never calls the listener (it polls
 * by itself), except for functions the compiler left to the interpreter.
 *
 * <p>Used by the one thread that calls into the instance, so plain fields suffice.
 */
final class Meter implements ExecutionListener {

    /** Instructions between two looks at the interrupt flag: cheap, and still microseconds apart. */
    private static final int POLL_MASK = 1023;

    private final long budget;
    private final int fuelGlobal;
    private long remaining;
    private GlobalInstance fuel;
    private int ticks;

    /**
     * Creates a meter.
     *
     * @param budget     the instructions one call may execute; 0 for no limit
     * @param fuelGlobal the index of the global the rewritten module keeps its fuel in, or -1 when
     *                   the interpreter's reports are counted instead
     */
    Meter(long budget, int fuelGlobal) {
        this.budget = budget;
        this.fuelGlobal = budget > 0 ? fuelGlobal : -1;
        this.remaining = budget;
    }

    /**
     * Creates a meter that counts what the interpreter reports.
     *
     * @param budget the instructions one call may execute; 0 for no limit
     */
    Meter(long budget) {
        this(budget, -1);
    }

    /**
     * Gives a new outermost call the full budget.
     *
     * @param instance the instance being called (whose global holds the fuel of a rewritten module)
     */
    void startCall(Instance instance) {
        if (fuelGlobal >= 0) {
            if (fuel == null) {
                fuel = instance.global(fuelGlobal);
            }
            fuel.setValue(budget);
        } else {
            remaining = budget;
        }
    }

    /** @return what the current or last outermost call has used so far, or -1 without a budget */
    long used() {
        return budget > 0 ? budget - left() : -1;
    }

    /** @return whether the budget is spent: a rewritten module traps with the fuel below zero */
    boolean exhausted() {
        return budget > 0 && left() < 0;
    }

    private long left() {
        if (fuelGlobal < 0) {
            return remaining;
        }
        return fuel == null ? budget : fuel.getValue();
    }

    @Override
    public void onExecution(Instruction instruction, MStack stack) {
        if (fuelGlobal < 0 && budget > 0 && --remaining < 0) {
            throw new Failures.OutOfFuel();
        }
        if ((++ticks & POLL_MASK) == 0 && Thread.currentThread().isInterrupted()) {
            throw new ChicoryInterruptedException("Thread interrupted");
        }
    }
}
