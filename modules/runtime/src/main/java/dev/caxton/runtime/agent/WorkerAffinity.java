package dev.caxton.runtime.agent;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Pins the calling thread to one CPU through Linux's {@code sched_setaffinity}, called with the
 * foreign function API (no JNI). With pid 0 the call applies to the calling thread only, which is why
 * each pool worker pins itself as it starts.
 *
 * <p>Where the call is not there (another OS, a libc without it) or refuses (a container that forbids
 * it, a CPU outside the cpuset), pinning reports why and the worker goes on unpinned.
 */
final class WorkerAffinity {

    // glibc's cpu_set_t: 1024 CPUs, one bit each.
    private static final int MASK_BYTES = 128;
    private static final MethodHandle SET;
    private static final MethodHandle GET;
    private static final VarHandle ERRNO;
    private static final MemoryLayout CALL_STATE;
    private static final String UNAVAILABLE;

    static {
        MethodHandle set = null;
        MethodHandle get = null;
        VarHandle errno = null;
        MemoryLayout state = null;
        String why = null;
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            why = "CPU affinity is set through Linux's sched_setaffinity, and this is " + System.getProperty("os.name");
        } else {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option capture = Linker.Option.captureCallState("errno");
                state = Linker.Option.captureStateLayout();
                errno = state.varHandle(MemoryLayout.PathElement.groupElement("errno"));
                FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
                set = linker.downcallHandle(libc.find("sched_setaffinity").orElseThrow(), fd, capture);
                get = linker.downcallHandle(libc.find("sched_getaffinity").orElseThrow(), fd, capture);
            } catch (RuntimeException | Error e) {
                // IllegalCallerException when native access is denied to this module, or a libc without the calls.
                why = "cannot call sched_setaffinity: " + e;
                set = null;
                get = null;
            }
        }
        SET = set;
        GET = get;
        ERRNO = errno;
        CALL_STATE = state;
        UNAVAILABLE = why;
    }

    private WorkerAffinity() {
    }

    /** @return why threads cannot be pinned here, or null when they can */
    static String unavailable() {
        return UNAVAILABLE;
    }

    /**
     * The CPUs the calling thread may run on.
     *
     * @return their numbers in ascending order
     * @throws IllegalStateException when the mask cannot be read, saying why
     */
    static List<Integer> allowedCpus() {
        if (UNAVAILABLE != null) {
            throw new IllegalStateException(UNAVAILABLE);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES);
            MemorySegment callState = arena.allocate(CALL_STATE);
            int rc = (int) GET.invokeExact(callState, 0, (long) MASK_BYTES, mask);
            if (rc != 0) {
                throw new IllegalStateException("sched_getaffinity failed, errno " + (int) ERRNO.get(callState, 0L));
            }
            List<Integer> cpus = new ArrayList<>();
            for (int b = 0; b < MASK_BYTES; b++) {
                int bits = mask.get(ValueLayout.JAVA_BYTE, b) & 0xff;
                for (int i = 0; i < 8; i++) {
                    if ((bits & (1 << i)) != 0) {
                        cpus.add(b * 8 + i);
                    }
                }
            }
            return cpus;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("sched_getaffinity failed: " + e, e);
        }
    }

    /**
     * Pins the calling thread to one CPU.
     *
     * @param cpu the CPU number
     * @return null when pinned, else why not
     */
    static String pinCurrentThread(int cpu) {
        if (UNAVAILABLE != null) {
            return UNAVAILABLE;
        }
        if (cpu < 0 || cpu >= MASK_BYTES * 8) {
            return "CPU " + cpu + " is outside the " + MASK_BYTES * 8 + " a mask holds";
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES);
            mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            MemorySegment callState = arena.allocate(CALL_STATE);
            int rc = (int) SET.invokeExact(callState, 0, (long) MASK_BYTES, mask);
            return rc == 0 ? null : "sched_setaffinity to CPU " + cpu + " failed, errno " + (int) ERRNO.get(callState, 0L);
        } catch (Throwable e) {
            return "sched_setaffinity to CPU " + cpu + " failed: " + e;
        }
    }
}
