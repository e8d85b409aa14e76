package dev.caxton.engine.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;

import java.util.function.Function;

/**
 * The machine Chicory sees for an instance: it wraps the interpreter or the compiled machine to do
 * two things at the boundary of every outermost call into the instance (from the host, from a
 * linked instance, or the start function):
 * <ul>
 *   <li>refill the fuel budget, so the budget applies per call (and, for a module that meters
 *       itself, report its fuel trap as running out of fuel, at any depth);</li>
 *   <li>after a failed call, replace the machine with a fresh one. The interpreter keeps one
 *       operand stack for the life of the instance and never unwinds it when a call fails: a
 *       trap leaves behind whatever operands were pending, and a stack overflow can leave one per
 *       frame (about 1600 in a test), in an array that never shrinks. The instance's state
 *       (memories, globals, tables) lives in the instance, not the machine, so nothing the guest
 *       can observe is lost.</li>
 * </ul>
 */
final class GuardedMachine implements Machine {

    private final Instance instance;
    private final Function<Instance, Machine> factory;
    private final Meter meter;
    private Machine delegate;
    private int depth;

    /**
     * Creates the machine for an instance; Chicory calls this while it builds the instance.
     *
     * @param instance the instance
     * @param factory  makes the real machine (interpreter or compiled)
     * @param meter    the instance's meter
     */
    GuardedMachine(Instance instance, Function<Instance, Machine> factory, Meter meter) {
        this.instance = instance;
        this.factory = factory;
        this.meter = meter;
        this.delegate = factory.apply(instance);
    }

    @Override
    public long[] call(int funcId, long[] args) {
        boolean outermost = depth == 0;
        if (outermost) {
            meter.startCall(instance);
        }
        depth++;
        boolean completed = false;
        try {
            long[] results = delegate.call(funcId, args);
            completed = true;
            return results;
        } catch (RuntimeException e) {
            // A module that meters itself traps with 'unreachable' when its fuel runs out; the fuel
            // left below zero tells that trap from the module's own, and it is reported as the
            // interpreter's meter reports it.
            if (meter.exhausted() && Failures.find(e, Failures.OutOfFuel.class) == null) {
                throw new Failures.OutOfFuel();
            }
            throw e;
        } finally {
            depth--;
            if (outermost && !completed) {
                renew();
            }
        }
    }

    /** @return the machine currently doing the work (tests check which kind it is) */
    Machine delegate() {
        return delegate;
    }

    private void renew() {
        try {
            delegate = factory.apply(instance);
        } catch (RuntimeException | VirtualMachineError e) {
            // Keep the old machine rather than mask the failure being reported; the SPI tells the
            // runtime to discard an instance whose call failed anyway.
        }
    }
}
