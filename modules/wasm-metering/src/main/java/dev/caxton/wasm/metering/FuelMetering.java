package dev.caxton.wasm.metering;

import dev.caxton.wasm.metering.ModuleLayout.Export;
import dev.caxton.wasm.metering.ModuleLayout.FuncSig;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Fuel metering by instrumentation, shared by the engine plugins: an engine whose own fuel is out of
 * reach (the wasmtime-java binding) or would cost its compiler (Chicory's, which only the interpreter
 * meters) adds it to the module instead. A mutable i64 global holds the fuel left, and each
 * straight-line run of instructions first subtracts what the whole run costs and traps with
 * {@code unreachable} when the result is negative. After a trap the engine reads the global: a
 * negative value means the call ran out of fuel (a check traps at once, so nothing else can follow).
 *
 * <p>A run costs one unit per instruction in it, and runs are cut wherever control can leave or
 * enter them (after {@code loop}, {@code if}, {@code else} and every branch, and at the
 * {@code end} of a block or {@code if}, which is where forward branches land). Every run that is
 * charged is therefore executed in full, unless the call traps, and a call uses exactly as much fuel
 * as Chicory's interpreter counts for it:
 *
 * <ul>
 *   <li>every instruction executed counts one, {@code block}, {@code loop}, {@code if} and
 *       {@code end} included;</li>
 *   <li>a branch to a block, an {@code if} or the function counts the {@code end} it lands on (so
 *       the charge for that {@code end} sits just after it, on the path both the branch and the
 *       fall-through take; a function some branch targets is wrapped in one more block for this);</li>
 *   <li>a branch back to a loop does not count the {@code loop} again; the then-arm of an
 *       {@code if} counts its {@code else}; {@code return} does not count the function's
 *       {@code end}.</li>
 * </ul>
 *
 * <p>While a function runs, the fuel left is kept in a local of its own ({@link Counter#IN_LOCAL},
 * the default): the function loads the global into it on entry and stores it back wherever another
 * function or the engine could look at the global: before every {@code call} and
 * {@code call_indirect} (reloading it after, since the callee spent some), before {@code return},
 * before the function's {@code end} and before the trap that ends a call out of fuel. Compiled code
 * keeps a local in a register or a JVM local, where every global access goes through the instance,
 * so the charges on a hot loop cost a fraction of what they cost on the global. The charges and
 * what they add up to are the same as with the global alone ({@link Counter#IN_GLOBAL}): a call
 * uses the same fuel and runs out at the same instruction either way. The one thing the global
 * does not show with a local is what a function spent since its last call when it traps for
 * another reason than fuel (the engines never report fuel for such a call; the global is then still
 * at or above zero, so the trap is not taken for running out of fuel).
 *
 * <p>Only the module's own functions are metered; an engine's hidden helpers are not. Each exported
 * function gets a hidden wrapper that takes the budget as one more i64 parameter and stores it
 * before the call, and returns the fuel left as one more i64 result after the function's own, so
 * that neither metering nor reporting what a call used costs another crossing of the JNI boundary.
 */
public final class FuelMetering {

    // What an instruction does to control flow, as far as metering cares.
    private static final byte PLAIN = 0;
    private static final byte OPENS = 1;       // block: no new run
    private static final byte ENTERS = 2;      // loop, if, else: a new run starts after it
    private static final byte JUMPS = 3;       // br, br_if, br_table, return, unreachable: a new run starts after it
    private static final byte LANDING = 4;     // end of a block or if: a new run starts with it
    private static final byte CLOSES = 5;      // end of a loop
    private static final byte LAST = 6;        // the function's own end

    /**
     * A metered module.
     *
     * @param bytes      the binary
     * @param calls      for every exported function (those named as unwrapped excepted), the export
     *                   that calls it with a budget and also returns the fuel left
     * @param left       the export that reads the fuel left
     * @param refill     the export that sets the fuel left
     * @param fuelGlobal the index of the (unexported, mutable i64) global that holds the fuel left
     */
    public record Metered(byte[] bytes, Map<String, String> calls, String left, String refill, int fuelGlobal) {
    }

    /** Where a metered function keeps the fuel left while it runs. */
    public enum Counter {
        /** In the fuel global only: every charge reads and writes it. */
        IN_GLOBAL,
        /** In a local of the function, written back to the global before calls and exits. */
        IN_LOCAL
    }

    /**
     * The counter the {@code instrument} methods without one use: {@link Counter#IN_LOCAL}, unless
     * the system property {@code caxton.metering.counter} is {@code global} (for measuring one
     * against the other in the same build; both count the same).
     */
    public static final Counter DEFAULT_COUNTER =
            "global".equals(System.getProperty("caxton.metering.counter")) ? Counter.IN_GLOBAL : Counter.IN_LOCAL;

    private FuelMetering() {
    }

    /**
     * Adds metering to every function of a module, and nothing else: no function and no export is
     * added, only the fuel global ({@link Metered#fuelGlobal()}), for an engine that reads and writes
     * globals directly. (Extra exports are not free everywhere: Chicory's compiler derives names of
     * generated methods from exports, and the wrappers' names can collide there.)
     *
     * @param module the binary, already accepted by the engine
     * @return the metered module, whose {@code calls} is empty and {@code left} and {@code refill} null
     * @throws WasmReader.MalformedException when a body uses an instruction this class does not know
     */
    public static Metered instrument(byte[] module) {
        return instrument(module, DEFAULT_COUNTER);
    }

    /**
     * Adds metering to every function of a module, and nothing else, with the fuel counted where
     * asked (both places give the same counts; see the class description).
     *
     * @param module  the binary, already accepted by the engine
     * @param counter where a running function keeps the fuel left
     * @return the metered module, whose {@code calls} is empty and {@code left} and {@code refill} null
     * @throws WasmReader.MalformedException when a body uses an instruction this class does not know
     */
    public static Metered instrument(byte[] module, Counter counter) {
        return build(module, null, Set.of(), Integer.MAX_VALUE, Objects.requireNonNull(counter, "counter"));
    }

    /**
     * Adds metering to every function of a module, with the exported helpers.
     *
     * @param module the binary, already accepted by the engine
     * @param prefix how the names of the added exports begin (they never clash with the module's own)
     * @return the metered module
     * @throws WasmReader.MalformedException when a body uses an instruction this class does not know
     */
    public static Metered instrument(byte[] module, String prefix) {
        return instrument(module, prefix, Set.of(), Integer.MAX_VALUE);
    }

    /**
     * Adds metering to a module an engine has prepared with helpers of its own.
     *
     * @param module    the binary, already accepted by the engine
     * @param prefix    how the names of the added exports begin (they never clash with the module's own)
     * @param unwrapped exported functions that get no metered wrapper (an engine's own accessors)
     * @param ownEnd    the index just past the module's own functions; later ones are the engine's
     *                  helpers and stay unmetered
     * @return the metered module
     * @throws WasmReader.MalformedException when a body uses an instruction this class does not know
     */
    public static Metered instrument(byte[] module, String prefix, Set<String> unwrapped, int ownEnd) {
        return build(module, Objects.requireNonNull(prefix, "prefix"), unwrapped, ownEnd, DEFAULT_COUNTER);
    }

    /** Meters a module; with a null prefix, adds no helper functions or exports. */
    private static Metered build(byte[] module, String prefix, Set<String> unwrapped, int ownEnd, Counter counter) {
        ModuleLayout shape = ModuleLayout.of(module);
        int fuel = shape.globalCount();
        Types types = new Types(shape.types.size());

        Set<String> taken = new HashSet<>();
        shape.exports.forEach(e -> taken.add(e.name()));
        Set<String> getters = unwrapped;
        Map<String, String> calls = new LinkedHashMap<>();
        WasmWriter funcAdd = new WasmWriter(32);
        WasmWriter codeAdd = new WasmWriter(64);
        WasmWriter exportAdd = new WasmWriter(128);
        int next = shape.functions.size();
        String left = null;
        String refill = null;
        for (Export e : prefix == null ? List.<Export>of() : shape.exports) {
            if (e.kind() != ModuleLayout.KIND_FUNCTION || getters.contains(e.name())) {
                continue;
            }
            FuncSig sig = shape.types.get(shape.functions.get(e.index()));
            byte[] params = Arrays.copyOf(sig.params(), sig.params().length + 1);
            params[params.length - 1] = (byte) ModuleLayout.I64;
            byte[] results = Arrays.copyOf(sig.results(), sig.results().length + 1);
            results[results.length - 1] = (byte) ModuleLayout.I64;
            funcAdd.u32(types.index(params, results));
            WasmWriter body = new WasmWriter(16).u32(0).u8(0x20).u32(sig.params().length).u8(0x24).u32(fuel);
            for (int i = 0; i < sig.params().length; i++) {
                body.u8(0x20).u32(i);
            }
            body.u8(0x10).u32(e.index()).u8(0x23).u32(fuel).u8(Instructions.END);
            codeAdd.body(body);
            String name = uniqueName(prefix + "fuel:" + e.name(), taken);
            exportAdd.name(name).u8(0x00).u32(next++);
            calls.put(e.name(), name);
        }
        if (prefix != null) {
            byte[] i64 = {(byte) ModuleLayout.I64};
            funcAdd.u32(types.index(new byte[0], i64));
            codeAdd.body(new WasmWriter(8).u32(0).u8(0x23).u32(fuel).u8(Instructions.END));
            left = uniqueName(prefix + "fuel:left", taken);
            exportAdd.name(left).u8(0x00).u32(next++);
            funcAdd.u32(types.index(i64, new byte[0]));
            codeAdd.body(new WasmWriter(8).u32(0).u8(0x20).u32(0).u8(0x24).u32(fuel).u8(Instructions.END));
            refill = uniqueName(prefix + "fuel:set", taken);
            exportAdd.name(refill).u8(0x00).u32(next++);
        }
        int added = next - shape.functions.size();

        // The module's bodies, metered, then the helpers' bodies as they are, then the new ones.
        Section code = shape.section(ModuleLayout.CODE);
        int bodies = code == null ? 0 : code.count();
        WasmWriter codeAll = new WasmWriter((code == null ? 0 : code.end() - code.entriesStart()) * 2 + codeAdd.size());
        codeAll.u32(bodies + added);
        if (code != null) {
            WasmReader r = new WasmReader(shape.bytes, code.entriesStart(), code.end());
            for (int k = 0; k < bodies; k++) {
                int entry = r.pos();
                int size = r.u32Int("the size of function body " + k);
                int start = r.pos();
                r.skip(size, "function body " + k);
                int index = shape.importedFunctions() + k;
                if (index < ownEnd) {
                    FuncSig sig = shape.types.get(shape.functions.get(index));
                    codeAll.body(meter(shape.bytes, start, start + size, fuel, sig, types, counter));
                } else {
                    codeAll.bytes(shape.bytes, entry, start + size);
                }
            }
        }
        codeAll.bytes(codeAdd.toByteArray());

        WasmWriter global = new WasmWriter(8).u8(ModuleLayout.I64).u8(0x01).u8(0x42).u8(0x00).u8(Instructions.END);
        SectionEmitter out = new SectionEmitter(shape.bytes);
        if (types.count() > 0) {
            out.append(ModuleLayout.TYPE, types.entries, types.count());
        }
        if (added > 0) {
            out.append(ModuleLayout.FUNCTION, funcAdd, added);
        }
        out.append(ModuleLayout.GLOBAL, global, 1);
        if (added > 0) {
            out.append(ModuleLayout.EXPORT, exportAdd, added);
        }
        out.replace(ModuleLayout.CODE, codeAll);
        return new Metered(out.emit(shape.sections), Map.copyOf(calls), left, refill, fuel);
    }

    /**
     * Meters one function body.
     *
     * @param bytes   the binary
     * @param start   the body's first byte (its local declarations)
     * @param end     just past its last byte
     * @param fuel    the index of the fuel global
     * @param sig     the function's type: its parameters come before the locals, and its results
     *                type the wrapping block
     * @param types   where a type for that block is found or added
     * @param counter where the function keeps the fuel left while it runs
     * @return the new body, without its size
     */
    public static WasmWriter meter(byte[] bytes, int start, int end, int fuel, FuncSig sig, Types types,
                                   Counter counter) {
        byte[] results = sig.results();
        WasmReader r = new WasmReader(bytes, start, end);
        long groups = r.u32("the number of local declarations");
        int declarations = r.pos();
        long locals = sig.params().length;
        for (long g = 0; g < groups; g++) {
            locals += r.u32("a local count");
            r.u8("a local type");
        }
        int code = r.pos();
        // The fuel local comes after all the others, so no index the body uses moves.
        Fuel charges = counter == Counter.IN_LOCAL ? new Fuel(fuel, locals) : new Fuel(fuel, -1);

        // Pass 1: where each instruction starts and what it does to control flow.
        int[] at = new int[Math.max(16, (end - code) / 2)];
        byte[] kind = new byte[at.length];
        int n = 0;
        Deque<Integer> open = new ArrayDeque<>();
        boolean targetsFunction = false;
        while (!r.atEnd()) {
            if (n + 1 >= at.length) {
                at = Arrays.copyOf(at, at.length * 2);
                kind = Arrays.copyOf(kind, at.length);
            }
            at[n] = r.pos();
            int op = r.u8("an opcode");
            byte k;
            switch (op) {
                case Instructions.BLOCK, Instructions.LOOP, Instructions.IF -> {
                    Instructions.blockType(r);
                    open.push(op);
                    k = op == Instructions.BLOCK ? OPENS : ENTERS;
                }
                case Instructions.ELSE -> k = ENTERS;
                case Instructions.END -> {
                    if (open.isEmpty()) {
                        k = LAST;
                    } else {
                        k = open.pop() == Instructions.LOOP ? CLOSES : LANDING;
                    }
                }
                case Instructions.BR, Instructions.BR_IF -> {
                    targetsFunction |= r.u32("a label index") == open.size();
                    k = JUMPS;
                }
                case Instructions.BR_TABLE -> {
                    long targets = r.u32("the length of a br_table");
                    for (long t = 0; t <= targets; t++) {
                        targetsFunction |= r.u32("a br_table label") == open.size();
                    }
                    k = JUMPS;
                }
                case Instructions.RETURN, Instructions.UNREACHABLE -> k = JUMPS;
                default -> {
                    Instructions.skipImmediates(r, op);
                    k = PLAIN;
                }
            }
            kind[n++] = k;
        }
        at[n] = end;
        if (n == 0 || kind[n - 1] != LAST) {
            throw WasmReader.malformed("function body does not end with 'end'", end);
        }
        // A branch to the function lands on its end; wrapped in a block, that end becomes one a
        // charge can follow.
        boolean wrap = targetsFunction;
        if (wrap) {
            kind[n - 1] = LANDING;
        }

        // Pass 2: runs and their costs.
        boolean[] starts = new boolean[n];
        starts[0] = true;
        for (int i = 0; i < n; i++) {
            if ((kind[i] == ENTERS || kind[i] == JUMPS) && i + 1 < n) {
                starts[i + 1] = true;
            } else if (kind[i] == LANDING) {
                starts[i] = true;
            }
        }
        int[] cost = new int[n];
        for (int i = n - 1, following = n; i >= 0; i--) {
            if (starts[i]) {
                cost[i] = following - i;
                following = i;
            }
        }

        // Pass 3: the body with the charges.
        WasmWriter out = new WasmWriter((end - start) + n * 4 + 32);
        if (charges.inLocal()) {
            out.u32(groups + 1).bytes(bytes, declarations, code).u32(1).u8(ModuleLayout.I64);
        } else {
            out.bytes(bytes, start, code);
        }
        charges.load(out);
        if (wrap) {
            out.u8(Instructions.BLOCK);
            if (results.length == 0) {
                out.u8(0x40);
            } else if (results.length == 1) {
                out.u8(results[0]);
            } else {
                out.signed(types.index(new byte[0], results));
            }
        }
        for (int i = 0; i < n; i++) {
            boolean after = kind[i] == LANDING;
            if (starts[i] && !after) {
                charges.charge(out, cost[i]);
            }
            int op = bytes[at[i]] & 0xFF;
            boolean call = op == Instructions.CALL || op == Instructions.CALL_INDIRECT;
            if (call || op == Instructions.RETURN || kind[i] == LAST) {
                charges.store(out);
            }
            out.bytes(bytes, at[i], at[i + 1]);
            if (call) {
                charges.load(out);
            }
            if (starts[i] && after) {
                charges.charge(out, cost[i]);
            }
        }
        if (wrap) {
            // A branch to the function lands on the wrapping block's end, so this is the only way out.
            charges.store(out);
            out.u8(Instructions.END);
        }
        return out;
    }

    /**
     * A name no other export uses.
     *
     * @param wanted the name wanted
     * @param taken  the names in use; the result is added
     * @return {@code wanted}, or it with a number appended
     */
    public static String uniqueName(String wanted, Set<String> taken) {
        String name = wanted;
        for (int i = 2; !taken.add(name); i++) {
            name = wanted + "#" + i;
        }
        return name;
    }

    /**
     * Emits the code that keeps the fuel left, in the global alone or in a local of the function.
     *
     * @param global the index of the fuel global
     * @param local  the index of the function's fuel local, or -1 to use the global alone
     */
    private record Fuel(int global, long local) {

        boolean inLocal() {
            return local >= 0;
        }

        /** Subtracts a run's cost from the fuel left, and traps when it goes below zero. */
        void charge(WasmWriter out, int cost) {
            if (inLocal()) {
                out.u8(0x20).u32(local).u8(0x42).signed(cost).u8(0x7D).u8(0x22).u32(local)   // fuel -= cost
                        .u8(0x42).u8(0x00).u8(0x53)                                          // fuel < 0 ?
                        .u8(Instructions.IF).u8(0x40);
                store(out);  // the engine reads the global after the trap to tell it ran out of fuel
                out.u8(Instructions.UNREACHABLE).u8(Instructions.END);
                return;
            }
            out.u8(0x23).u32(global).u8(0x42).signed(cost).u8(0x7D).u8(0x24).u32(global)   // fuel -= cost
                    .u8(0x23).u32(global).u8(0x42).u8(0x00).u8(0x53)                        // fuel < 0 ?
                    .u8(Instructions.IF).u8(0x40).u8(Instructions.UNREACHABLE).u8(Instructions.END);
        }

        /** Copies the global into the local: on entry, and after a call, which spent some of it. */
        void load(WasmWriter out) {
            if (inLocal()) {
                out.u8(0x23).u32(global).u8(0x21).u32(local);
            }
        }

        /** Copies the local into the global, for a callee, the engine or the caller to see. */
        void store(WasmWriter out) {
            if (inLocal()) {
                out.u8(0x20).u32(local).u8(0x24).u32(global);
            }
        }
    }

    /** Function types added to the module, each once. */
    public static final class Types {
        private final int first;
        private final Map<String, Integer> known = new HashMap<>();
        public final WasmWriter entries = new WasmWriter(32);

        /** @param first the index the first added type gets */
        public Types(int first) {
            this.first = first;
        }

        /**
         * The index of a type, added when it is new.
         *
         * @param params  the parameter types
         * @param results the result types
         * @return its index
         */
        public int index(byte[] params, byte[] results) {
            String key = Arrays.toString(params) + Arrays.toString(results);
            return known.computeIfAbsent(key, k -> {
                entries.u8(0x60).u32(params.length).bytes(params).u32(results.length).bytes(results);
                return first + known.size();
            });
        }

        /** @return how many types were added */
        public int count() {
            return known.size();
        }
    }
}
