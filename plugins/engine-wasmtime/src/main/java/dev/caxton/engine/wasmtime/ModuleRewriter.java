package dev.caxton.engine.wasmtime;

import dev.caxton.wasm.metering.WasmReader;
import dev.caxton.wasm.metering.WasmWriter;
import dev.caxton.wasm.metering.Instructions;
import dev.caxton.wasm.metering.SectionEmitter;
import dev.caxton.wasm.metering.FuelMetering;
import dev.caxton.wasm.metering.Section;
import dev.caxton.engine.wasmtime.ModuleShape.Expr;
import dev.caxton.engine.wasmtime.ModuleShape.Import;
import dev.caxton.engine.wasmtime.ModuleShape.Limits;
import dev.caxton.engine.wasmtime.ModuleShape.TableType;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.WasmCompileException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites module binaries so that the wasmtime-java binding can do what the engine SPI asks. The
 * binding has no store limiter, cannot read exported globals, cannot hand a host global or table
 * to a module, and reports traps of a start function without saying which trap; each of these is
 * worked around by a change to the binary that keeps the module's behaviour:
 *
 * <ul>
 *   <li><b>memory</b>: a memory the module defines becomes an import, so that each instance gets a
 *       memory the engine creates with the instance's limit as its maximum; Wasmtime then answers a
 *       {@code memory.grow} past the limit with -1 itself;</li>
 *   <li><b>globals</b>: every exported global of a number type gets an exported getter function,
 *       and the mutable globals the module defines (exported or not) get a getter and a setter
 *       that carry all their bits as integers in one call, so that an instance's state can be read
 *       and restored;</li>
 *   <li><b>start</b>: the start section is replaced by an exported function that calls the start
 *       function, and the engine calls it right after instantiation, where a trap or a timeout is
 *       reported precisely;</li>
 *   <li><b>tables</b>: a table without a maximum (or a larger one) gets {@link #TABLE_CAP} as its
 *       maximum, since Wasmtime aborts the process when a huge {@code table.grow} cannot be
 *       allocated;</li>
 *   <li><b>imported globals and tables</b> (only at instantiation, for modules that import them)
 *       become definitions initialised with the values the host offers, and constant expressions
 *       that read such a global use the value instead.</li>
 * </ul>
 *
 * The index spaces never change: added functions and types go after the existing ones, a moved
 * memory stays memory 0, and replaced imports are prepended to the definitions in import order.
 * Synthetic exports get names no export of the module uses, and the engine hides them.
 */
final class ModuleRewriter {

    /** The module name of the import a defined memory becomes. */
    static final String ENGINE_MODULE = "caxton:wasmtime";

    /** The most elements a table may ever have in this engine (8 MiB of references). */
    static final long TABLE_CAP = 1 << 20;

    /** How the names of hidden exports begin. */
    static final String PREFIX = "caxton:wasmtime:";

    /**
     * The module as the engine compiles it.
     *
     * @param bytes        the rewritten binary (the original when nothing needed rewriting)
     * @param shape        its structure
     * @param ownMemory    the limits of the memory the module defines (now its last import), or null
     * @param getters      for every exported global of a number type, the name of its getter export
     * @param startExport  the export name of the wrapper that calls the start function, or null
     * @param mutables     every mutable global the module defines, in index order
     * @param batches      the accessors of those globals, in order; none when one of them is not a
     *                     number (a snapshot cannot carry it, so there is nothing to access)
     */
    record Base(byte[] bytes, ModuleShape shape, Limits ownMemory, Map<String, String> getters, String startExport,
                List<MutableGlobal> mutables, List<GlobalBatch> batches) {
        /**
         * Whether the rewriting added types or functions. A function body of the original that
         * refers to a type or function index just past its own would be invalid, but valid in the
         * rewritten module, so such a module's original must be validated on its own.
         *
         * @return whether the index spaces grew
         */
        boolean addsIndices() {
            return !getters.isEmpty() || startExport != null || !batches.isEmpty();
        }

        /**
         * The hidden exports that only read or write globals: they are not the module's code, so
         * they are neither metered nor charged to a call's fuel.
         *
         * @return their export names
         */
        Set<String> globalAccessors() {
            Set<String> names = new HashSet<>(getters.values());
            for (GlobalBatch b : batches) {
                names.add(b.getter());
                names.add(b.setter());
            }
            return names;
        }
    }

    /**
     * A mutable global the module defines. An {@code f32} or {@code f64} crosses its accessors
     * reinterpreted as an {@code i32} or {@code i64}, so that its bits (NaN payloads included) never
     * pass through a Java float.
     *
     * @param index   its global index
     * @param valType its value type byte
     */
    record MutableGlobal(int index, int valType) {
        /** @return whether its bits travel as an i64 (else as an i32) */
        boolean wide() {
            return valType == ModuleShape.I64 || valType == ModuleShape.F64;
        }

        /** @return whether it is a float, reinterpreted on the way */
        boolean isFloat() {
            return valType == ModuleShape.F32 || valType == ModuleShape.F64;
        }

        /** @return the integer type its bits travel as */
        byte carrier() {
            return (byte) (wide() ? ModuleShape.I64 : ModuleShape.I32);
        }
    }

    /**
     * Hidden exports that read and write a run of the module's mutable globals in one call each, so
     * that a snapshot costs one crossing of the JNI boundary per {@link #BATCH} globals, not one
     * per global.
     *
     * @param from   the first of the mutable globals (an index into {@link Base#mutables()})
     * @param to     just past the last
     * @param getter the export that returns their bits, one result each
     * @param setter the export that takes their bits, one parameter each
     */
    record GlobalBatch(int from, int to, String getter, String setter) {
    }

    /** The most globals one accessor carries, well inside Wasmtime's limit on parameters and results. */
    static final int BATCH = 500;

    /**
     * A value that replaces an imported global.
     *
     * @param valType the value type byte (a number type)
     * @param mutable whether the global is mutable
     * @param bits    the value, encoded as the SPI encodes values
     */
    record Literal(int valType, boolean mutable, long bits) {
    }

    private ModuleRewriter() {
    }

    // ------------------------------------------------------------------ base

    /**
     * Prepares a module for compilation.
     *
     * @param shape the module as written
     * @return the module to compile
     * @throws WasmCompileException when the module declares a table larger than the engine allows
     */
    static Base base(ModuleShape shape) {
        boolean moveMemory = shape.definedMemories() == 1;
        boolean capTables = false;
        for (int i = shape.importedTables; i < shape.tables.size(); i++) {
            Limits l = shape.tables.get(i).limits();
            if (l.min() > TABLE_CAP) {
                throw new WasmCompileException("table " + i + " starts with " + l.min() + " elements, more than the "
                        + TABLE_CAP + " this engine allows a table");
            }
            capTables |= !l.hasMax() || l.max() > TABLE_CAP;
        }
        Set<String> taken = new HashSet<>();
        shape.exports.forEach(e -> taken.add(e.name()));
        Map<String, String> getters = new LinkedHashMap<>();
        List<Integer> getterGlobals = new ArrayList<>();
        for (ModuleShape.Export e : shape.exports) {
            if (e.kind() == ExternKind.GLOBAL && isNumber(shape.globals.get(e.index()).valType())) {
                getters.put(e.name(), FuelMetering.uniqueName(PREFIX + "global:" + e.name(), taken));
                getterGlobals.add(e.index());
            }
        }
        String startExport = shape.start >= 0 ? FuelMetering.uniqueName(PREFIX + "start", taken) : null;
        List<MutableGlobal> mutables = new ArrayList<>();
        boolean allNumbers = true;
        for (int g = shape.importedGlobals; g < shape.globals.size(); g++) {
            ModuleShape.GlobalType t = shape.globals.get(g);
            if (t.mutable()) {
                mutables.add(new MutableGlobal(g, t.valType()));
                allNumbers &= isNumber(t.valType());
            }
        }
        List<GlobalBatch> batches = new ArrayList<>();
        for (int from = 0; allNumbers && from < mutables.size(); from += BATCH) {
            batches.add(new GlobalBatch(from, Math.min(mutables.size(), from + BATCH),
                    FuelMetering.uniqueName(PREFIX + "state:get:" + from, taken), FuelMetering.uniqueName(PREFIX + "state:set:" + from, taken)));
        }
        if (!moveMemory && !capTables && getters.isEmpty() && startExport == null && batches.isEmpty()) {
            return new Base(shape.bytes, shape, null, Map.of(), null, List.copyOf(mutables), List.of());
        }

        // New types, appended to the type section, each once: () -> (t) for the getters, the
        // accessors' types, and () -> () for the start wrapper.
        FuelMetering.Types types = new FuelMetering.Types(shape.types.size());
        byte[] none = new byte[0];
        int newFunctions = getterGlobals.size() + 2 * batches.size() + (startExport == null ? 0 : 1);
        int firstNew = shape.functions.size();
        Limits ownMemory = moveMemory ? shape.memories.get(shape.importedMemories) : null;

        WasmWriter importAdd = null;
        if (moveMemory) {
            importAdd = new WasmWriter(32).name(ENGINE_MODULE).name("memory").u8(0x02);
            limits(importAdd, ownMemory);
        }
        WasmWriter funcAdd = new WasmWriter(16);
        WasmWriter codeAdd = new WasmWriter(32);
        WasmWriter exportAdd = new WasmWriter(64);
        int j = 0;
        List<String> getterNames = new ArrayList<>(getters.values());
        for (int k = 0; k < getterGlobals.size(); k++) {
            int g = getterGlobals.get(k);
            funcAdd.u32(types.index(none, new byte[] {(byte) shape.globals.get(g).valType()}));
            codeAdd.body(new WasmWriter(8).u32(0).u8(0x23).u32(g).u8(0x0B));
            exportAdd.name(getterNames.get(k)).u8(0x00).u32(firstNew + j++);
        }
        for (GlobalBatch b : batches) {
            List<MutableGlobal> run = mutables.subList(b.from(), b.to());
            byte[] carriers = new byte[run.size()];
            // The getter: global.get each, a float followed by i32.reinterpret_f32 (0xBC) or
            // i64.reinterpret_f64 (0xBD). The setter: local.get each, a float followed by
            // f32.reinterpret_i32 (0xBE) or f64.reinterpret_i64 (0xBF), then global.set.
            WasmWriter get = new WasmWriter(8 + 4 * run.size()).u32(0);
            WasmWriter set = new WasmWriter(8 + 8 * run.size()).u32(0);
            for (int k = 0; k < run.size(); k++) {
                MutableGlobal m = run.get(k);
                carriers[k] = m.carrier();
                get.u8(0x23).u32(m.index());
                set.u8(0x20).u32(k);
                if (m.isFloat()) {
                    get.u8(m.wide() ? 0xBD : 0xBC);
                    set.u8(m.wide() ? 0xBF : 0xBE);
                }
                set.u8(0x24).u32(m.index());
            }
            funcAdd.u32(types.index(none, carriers));
            codeAdd.body(get.u8(0x0B));
            exportAdd.name(b.getter()).u8(0x00).u32(firstNew + j++);
            funcAdd.u32(types.index(carriers, none));
            codeAdd.body(set.u8(0x0B));
            exportAdd.name(b.setter()).u8(0x00).u32(firstNew + j++);
        }
        if (startExport != null) {
            // A wrapper that calls the start function, rather than an export of the start function
            // itself: an export would declare it for ref.func and make some invalid modules valid.
            funcAdd.u32(types.index(none, none));
            codeAdd.body(new WasmWriter(8).u32(0).u8(0x10).u32(shape.start).u8(0x0B));
            exportAdd.name(startExport).u8(0x00).u32(firstNew + j++);
        }
        int exportCount = j;

        SectionEmitter out = new SectionEmitter(shape.bytes);
        if (types.count() > 0) {
            out.append(ModuleShape.TYPE, types.entries, types.count());
        }
        if (importAdd != null) {
            out.append(ModuleShape.IMPORT, importAdd, 1);
        }
        if (newFunctions > 0) {
            out.append(ModuleShape.FUNCTION, funcAdd, newFunctions);
            out.append(ModuleShape.CODE, codeAdd, newFunctions);
        }
        if (exportCount > 0) {
            out.append(ModuleShape.EXPORT, exportAdd, exportCount);
        }
        if (moveMemory) {
            out.drop(ModuleShape.MEMORY);
        }
        if (startExport != null) {
            out.drop(ModuleShape.START);
        }
        if (capTables) {
            WasmWriter tables = new WasmWriter(32).u32(shape.tables.size() - shape.importedTables);
            for (int i = shape.importedTables; i < shape.tables.size(); i++) {
                TableType t = shape.tables.get(i);
                long max = t.limits().hasMax() ? Math.min(t.limits().max(), TABLE_CAP) : TABLE_CAP;
                tables.u8(t.refType());
                limits(tables, new Limits(t.limits().min(), max));
            }
            out.replace(ModuleShape.TABLE, tables);
        }
        byte[] rewritten = out.emit(shape.sections);
        ModuleShape base = ModuleShape.parse(rewritten);
        return new Base(rewritten, base, ownMemory, Map.copyOf(getters), startExport, List.copyOf(mutables),
                List.copyOf(batches));
    }

    // ------------------------------------------------------------------ variants

    /**
     * Turns the imported globals and tables of a prepared module into definitions.
     *
     * @param base    the prepared module
     * @param globals one value per imported global, in import order
     * @param tables  one table type per imported table, in import order
     * @return the binary to compile
     */
    static byte[] withDefinitions(ModuleShape base, List<Literal> globals, List<TableType> tables) {
        if (globals.size() != base.importedGlobals || tables.size() != base.importedTables) {
            throw new IllegalArgumentException("expected " + base.importedGlobals + " globals and "
                    + base.importedTables + " tables");
        }
        SectionEmitter out = new SectionEmitter(base.bytes);
        Section imports = base.section(ModuleShape.IMPORT);
        if (imports != null) {
            WasmWriter kept = new WasmWriter(imports.end() - imports.payloadStart());
            int count = 0;
            for (Import i : base.imports) {
                if (i.kind() == ExternKind.FUNCTION || i.kind() == ExternKind.MEMORY) {
                    kept.bytes(base.bytes, i.start(), i.end());
                    count++;
                }
            }
            out.replace(ModuleShape.IMPORT, new WasmWriter(kept.size() + 5).u32(count).bytes(kept.toByteArray()));
        }
        if (!tables.isEmpty()) {
            WasmWriter defs = new WasmWriter(16 * tables.size());
            for (TableType t : tables) {
                defs.u8(t.refType());
                limits(defs, t.limits());
            }
            out.prepend(ModuleShape.TABLE, defs, tables.size());
        }
        if (!globals.isEmpty()) {
            WasmWriter defs = new WasmWriter(16 * globals.size());
            for (Literal g : globals) {
                defs.u8(g.valType()).u8(g.mutable() ? 1 : 0);
                literal(defs, g);
                defs.u8(0x0B);
            }
            out.prepend(ModuleShape.GLOBAL, defs, globals.size());
            for (int id : new int[] {ModuleShape.GLOBAL, ModuleShape.ELEMENT, ModuleShape.DATA}) {
                Section s = base.section(id);
                if (s != null) {
                    out.replaceEntries(id, substitute(base, s, base.exprs.getOrDefault(id, List.of()), globals));
                }
            }
        }
        return out.emit(base.sections);
    }

    /**
     * Lowers the maxima of a module's own tables (the last entries of its table section; any before
     * them are imported tables turned into definitions), so that their growth stays within an
     * instance's table allowance.
     *
     * @param shape  the module
     * @param maxima the new maximum of each of the module's own tables, in order
     * @return the binary to compile
     */
    static byte[] withTableMaxima(ModuleShape shape, List<Long> maxima) {
        int defined = shape.tables.size() - shape.importedTables;
        int firstOwn = shape.tables.size() - maxima.size();
        if (maxima.size() > defined || firstOwn < shape.importedTables) {
            throw new IllegalArgumentException("expected at most " + defined + " table maxima");
        }
        WasmWriter tables = new WasmWriter(16 * defined).u32(defined);
        for (int i = shape.importedTables; i < shape.tables.size(); i++) {
            TableType t = shape.tables.get(i);
            Limits l = i >= firstOwn ? new Limits(t.limits().min(), maxima.get(i - firstOwn)) : t.limits();
            tables.u8(t.refType());
            limits(tables, l);
        }
        SectionEmitter out = new SectionEmitter(shape.bytes);
        out.replace(ModuleShape.TABLE, tables);
        return out.emit(shape.sections);
    }

    /** Copies a section's entries, replacing reads of imported globals in its constant expressions. */
    private static WasmWriter substitute(ModuleShape shape, Section s, List<Expr> exprs, List<Literal> globals) {
        WasmWriter w = new WasmWriter(s.end() - s.entriesStart() + 16);
        int pos = s.entriesStart();
        for (Expr e : exprs) {
            w.bytes(shape.bytes, pos, e.start());
            WasmReader r = new WasmReader(shape.bytes, e.start(), e.end());
            while (!r.atEnd()) {
                int at = r.pos();
                int op = r.u8("an opcode");
                if (op == 0x23) {
                    long index = r.u32("a global index");
                    if (index < globals.size()) {
                        literal(w, globals.get((int) index));
                        continue;
                    }
                } else {
                    Instructions.skipImmediates(r, op);
                }
                w.bytes(shape.bytes, at, r.pos());
            }
            pos = e.end();
        }
        w.bytes(shape.bytes, pos, s.end());
        return w;
    }

    private static void literal(WasmWriter w, Literal g) {
        switch (g.valType()) {
            case ModuleShape.I32 -> w.u8(0x41).signed((int) g.bits());
            case ModuleShape.I64 -> w.u8(0x42).signed(g.bits());
            case ModuleShape.F32 -> w.u8(0x43).littleEndian(g.bits(), 4);
            case ModuleShape.F64 -> w.u8(0x44).littleEndian(g.bits(), 8);
            default -> throw new IllegalArgumentException("not a number type: 0x" + Integer.toHexString(g.valType()));
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Whether a value type is one the binding can pass: i32, i64, f32 or f64.
     *
     * @param valType the type byte
     * @return whether it is a number type
     */
    static boolean isNumber(int valType) {
        return valType == ModuleShape.I32 || valType == ModuleShape.I64
                || valType == ModuleShape.F32 || valType == ModuleShape.F64;
    }

    /**
     * Appends a function body to a code section: its size, then the body.
     *
     * @param code the code section's entries
     * @param body the body
     */
    private static void limits(WasmWriter w, Limits l) {
        if (l.hasMax()) {
            w.u8(0x01).u32(l.min()).u32(l.max());
        } else {
            w.u8(0x00).u32(l.min());
        }
    }
}
