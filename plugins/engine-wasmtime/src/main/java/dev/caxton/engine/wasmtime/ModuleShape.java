package dev.caxton.engine.wasmtime;

import dev.caxton.wasm.metering.WasmReader;
import dev.caxton.wasm.metering.ModuleLayout;
import dev.caxton.wasm.metering.Section;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmCompileException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The structure of a module binary, decoded by the plugin itself: the binding tells nothing about
 * exports or global types, and the plugin rewrites modules (see {@link ModuleRewriter}), which
 * needs to know where every section and every constant expression lies.
 *
 * <p>Decoding checks what the rewriting relies on: the header, the size and order of every section,
 * and the full contents of the type, import, function, table, memory, global, export, start,
 * element and data sections (function bodies are only delimited; Wasmtime validates them). It never
 * accepts a module Wasmtime would refuse for a reason it checks, so rewriting cannot turn an
 * invalid module into a valid one.
 */
final class ModuleShape {

    static final int CUSTOM = 0;
    static final int TYPE = 1;
    static final int IMPORT = 2;
    static final int FUNCTION = 3;
    static final int TABLE = 4;
    static final int MEMORY = 5;
    static final int GLOBAL = 6;
    static final int EXPORT = 7;
    static final int START = 8;
    static final int ELEMENT = 9;
    static final int CODE = 10;
    static final int DATA = 11;
    static final int DATA_COUNT = 12;
    static final int TAG = 13;

    /** Value type encodings. */
    static final int I32 = 0x7F;
    static final int I64 = 0x7E;
    static final int F32 = 0x7D;
    static final int F64 = 0x7C;
    static final int V128 = 0x7B;
    static final int FUNCREF = 0x70;
    static final int EXTERNREF = 0x6F;

    /** WebAssembly's own bound on the pages of a 32-bit memory (4 GiB). */
    static final long MAX_MEMORY_PAGES = 65536;

    private static final byte[] MAGIC = {0x00, 0x61, 0x73, 0x6d};
    private static final byte[] VERSION = {0x01, 0x00, 0x00, 0x00};

    /** A function signature as raw value type bytes. */
    record FuncSig(byte[] params, byte[] results) {
        FunctionType toSpi() {
            return FunctionType.of(spiTypes(params), spiTypes(results));
        }

        private static List<ValueType> spiTypes(byte[] types) {
            List<ValueType> out = new ArrayList<>(types.length);
            for (byte t : types) {
                out.add(spiType(t & 0xFF));
            }
            return out;
        }
    }

    /**
     * Limits of a memory or table.
     *
     * @param min the minimum
     * @param max the maximum, or -1 when none is declared
     */
    record Limits(long min, long max) {
        boolean hasMax() {
            return max >= 0;
        }
    }

    /** A table type. @param refType the element type byte @param limits its limits */
    record TableType(int refType, Limits limits) {
    }

    /** A global type. @param valType the value type byte @param mutable whether it is mutable */
    record GlobalType(int valType, boolean mutable) {
    }

    /**
     * One import.
     *
     * @param module    the module name
     * @param name      the field name
     * @param kind      what it imports
     * @param typeIndex for a function, its type index
     * @param table     for a table, its type
     * @param memory    for a memory, its limits
     * @param global    for a global, its type
     * @param start     the offset of the entry
     * @param end       the offset just past the entry
     */
    record Import(String module, String name, ExternKind kind, int typeIndex, TableType table, Limits memory,
                  GlobalType global, int start, int end) {
        String qualified() {
            return module + "." + name;
        }
    }

    /** One export. @param name its name @param kind its kind @param index the index in its kind's space */
    record Export(String name, ExternKind kind, int index) {
    }

    /** Where a constant expression lies. @param start first byte @param end just past its {@code end} opcode */
    record Expr(int start, int end) {
    }

    final byte[] bytes;
    final List<Section> sections = new ArrayList<>();
    final List<FuncSig> types = new ArrayList<>();
    final List<Import> imports = new ArrayList<>();
    /** The type index of every function, imported ones first. */
    final List<Integer> functions = new ArrayList<>();
    /** Every table, imported ones first. */
    final List<TableType> tables = new ArrayList<>();
    /** Every memory, imported ones first. */
    final List<Limits> memories = new ArrayList<>();
    /** Every global, imported ones first. */
    final List<GlobalType> globals = new ArrayList<>();
    final List<Export> exports = new ArrayList<>();
    /** The constant expressions of the global, element and data sections, by section id. */
    final Map<Integer, List<Expr>> exprs = new LinkedHashMap<>();
    int importedFunctions;
    int importedTables;
    int importedMemories;
    int importedGlobals;
    /** The start function's index, or -1. */
    int start = -1;
    private int codeCount = -1;

    private List<ImportDescriptor> importDescriptors;
    private List<ExportDescriptor> exportDescriptors;
    private Map<String, FunctionType> exportedFunctions;

    private ModuleShape(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * Decodes a module.
     *
     * @param bytes the binary
     * @return its structure
     * @throws WasmCompileException when the binary is malformed or fails a check made here
     */
    static ModuleShape parse(byte[] bytes) {
        ModuleShape shape = new ModuleShape(bytes);
        try {
            shape.decode();
        } catch (WasmReader.MalformedException e) {
            throw new WasmCompileException("malformed module: " + e.getMessage(), e);
        }
        shape.describe();
        return shape;
    }

    // ------------------------------------------------------------------ views for the SPI

    /** @return the imports in the SPI's terms */
    List<ImportDescriptor> importDescriptors() {
        return importDescriptors;
    }

    /** @return the exports in the SPI's terms */
    List<ExportDescriptor> exportDescriptors() {
        return exportDescriptors;
    }

    /** @return the signature of every exported function, by export name */
    Map<String, FunctionType> exportedFunctions() {
        return exportedFunctions;
    }

    /**
     * Finds an export.
     *
     * @param name the export name
     * @return the export, or null
     */
    Export export(String name) {
        for (Export e : exports) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /**
     * The signature of a function.
     *
     * @param functionIndex the function's index
     * @return its signature
     */
    FuncSig functionSig(int functionIndex) {
        return types.get(functions.get(functionIndex));
    }

    /**
     * The first section with an id.
     *
     * @param id the id
     * @return the section, or null
     */
    Section section(int id) {
        for (Section s : sections) {
            if (s.id() == id) {
                return s;
            }
        }
        return null;
    }

    /** @return how many memories the module defines itself */
    int definedMemories() {
        return memories.size() - importedMemories;
    }

    private void describe() {
        List<ImportDescriptor> in = new ArrayList<>();
        for (Import i : imports) {
            in.add(new ImportDescriptor(i.module(), i.name(), i.kind(),
                    i.kind() == ExternKind.FUNCTION ? types.get(i.typeIndex()).toSpi() : null));
        }
        List<ExportDescriptor> out = new ArrayList<>();
        Map<String, FunctionType> funcs = new LinkedHashMap<>();
        for (Export e : exports) {
            FunctionType t = e.kind() == ExternKind.FUNCTION ? functionSig(e.index()).toSpi() : null;
            out.add(new ExportDescriptor(e.name(), e.kind(), t));
            if (t != null) {
                funcs.put(e.name(), t);
            }
        }
        importDescriptors = List.copyOf(in);
        exportDescriptors = List.copyOf(out);
        exportedFunctions = Collections.unmodifiableMap(funcs);
    }

    // ------------------------------------------------------------------ decoding

    private void decode() {
        checkHeader();
        int pos = 8;
        int lastRank = 0;
        int lastId = -1;
        while (pos < bytes.length) {
            WasmReader r = new WasmReader(bytes, pos, bytes.length);
            int id = r.u8("a section id");
            long size = r.u32("the size of " + sectionName(id));
            int payloadStart = r.pos();
            if (size > r.remaining()) {
                throw WasmReader.malformed(sectionName(id) + " declares " + size + " bytes but only "
                        + r.remaining() + " remain (the module is truncated)", pos);
            }
            int end = payloadStart + (int) size;
            if (id != CUSTOM) {
                int rank = rank(id);
                if (rank < 0) {
                    throw WasmReader.malformed("unknown section id " + id, pos);
                }
                if (rank <= lastRank) {
                    throw WasmReader.malformed(rank == lastRank ? "duplicate " + sectionName(id)
                            : sectionName(id) + " after " + sectionName(lastId) + " (sections are out of order)", pos);
                }
                lastRank = rank;
                lastId = id;
            }
            sections.add(decodeSection(id, pos, payloadStart, end));
            pos = end;
        }
        int defined = functions.size() - importedFunctions;
        int bodies = Math.max(codeCount, 0);
        if (defined != bodies) {
            throw new WasmCompileException("malformed module: the function section declares " + defined
                    + " functions but the code section has " + bodies + " bodies");
        }
        if (memories.size() > 1) {
            throw new WasmCompileException("invalid module: it has " + memories.size() + " memories; more than one"
                    + " needs the multi-memory proposal, which this engine does not enable");
        }
    }

    private void checkHeader() {
        if (bytes.length == 0) {
            throw new WasmCompileException("malformed module: empty input (0 bytes); a WebAssembly module"
                    + " starts with the 8-byte header 00 61 73 6d 01 00 00 00");
        }
        if (bytes.length < 8) {
            throw new WasmCompileException("malformed module: truncated header: " + bytes.length
                    + " bytes, but a WebAssembly module starts with an 8-byte header");
        }
        for (int i = 0; i < 4; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new WasmCompileException("malformed module: bad magic number: expected 00 61 73 6d"
                        + " (\"\\0asm\"), found " + hexBytes(0, 4)
                        + (looksLikeText() ? " (this looks like WebAssembly text; compile it to a binary first)" : ""));
            }
        }
        for (int i = 0; i < 4; i++) {
            if (bytes[4 + i] != VERSION[i]) {
                throw new WasmCompileException("malformed module: unsupported binary version: expected"
                        + " 01 00 00 00, found " + hexBytes(4, 4));
            }
        }
    }

    private boolean looksLikeText() {
        for (byte b : bytes) {
            if (b == '(') {
                return true;
            }
            if (!Character.isWhitespace(b) && b != ';') {
                return false;
            }
        }
        return false;
    }

    private Section decodeSection(int id, int start, int payloadStart, int end) {
        WasmReader r = new WasmReader(bytes, payloadStart, end);
        if (id == CUSTOM) {
            r.name("the name of a custom section");
            return new Section(id, start, payloadStart, payloadStart, 0, end);
        }
        if (id == START) {
            this.start = r.u32Int("the start function index");
            if (this.start >= functions.size()) {
                throw r.malformed("the start function " + this.start + " does not exist (unknown function)");
            }
            FuncSig sig = functionSig(this.start);
            if (sig.params().length != 0 || sig.results().length != 0) {
                throw new WasmCompileException("invalid module: the start function (function " + this.start
                        + ") must take no parameters and return no results");
            }
            finish(r, id);
            return new Section(id, start, payloadStart, payloadStart, 0, end);
        }
        if (id == DATA_COUNT) {
            r.u32("the data count");
            finish(r, id);
            return new Section(id, start, payloadStart, payloadStart, 0, end);
        }
        if (id == TAG) {
            throw new WasmCompileException("invalid module: it has a tag section; exception handling is not"
                    + " supported by this engine (wasmtime 7)");
        }
        int count = r.u32Int("the entry count of " + sectionName(id));
        int entriesStart = r.pos();
        switch (id) {
            case TYPE -> decodeTypes(r, count);
            case IMPORT -> decodeImports(r, count);
            case FUNCTION -> {
                for (int i = 0; i < count; i++) {
                    functions.add(typeIndex(r));
                }
            }
            case TABLE -> {
                for (int i = 0; i < count; i++) {
                    tables.add(tableType(r));
                }
            }
            case MEMORY -> {
                for (int i = 0; i < count; i++) {
                    memories.add(memoryLimits(r));
                }
            }
            case GLOBAL -> {
                List<Expr> list = exprs.computeIfAbsent(GLOBAL, k -> new ArrayList<>());
                for (int i = 0; i < count; i++) {
                    globals.add(globalType(r));
                    list.add(constExpr(r));
                }
            }
            case EXPORT -> decodeExports(r, count);
            case ELEMENT -> decodeElements(r, count);
            case CODE -> {
                codeCount = count;
                for (int i = 0; i < count; i++) {
                    long size = r.u32("the size of function body " + i);
                    r.skip(size, "function body " + i);
                }
            }
            case DATA -> decodeData(r, count);
            default -> throw r.malformed("unknown section id " + id);
        }
        finish(r, id);
        return new Section(id, start, payloadStart, entriesStart, count, end);
    }

    private static void finish(WasmReader r, int id) {
        if (!r.atEnd()) {
            throw r.malformed(sectionName(id) + " has " + r.remaining() + " bytes left over after its last entry"
                    + " (section size mismatch)");
        }
    }

    private void decodeTypes(WasmReader r, int count) {
        for (int i = 0; i < count; i++) {
            int form = r.u8("a type form");
            if (form != 0x60) {
                throw WasmReader.malformed("type " + i + " has form 0x" + Integer.toHexString(form)
                        + ", but only function types (0x60) exist without the GC proposal", r.pos() - 1);
            }
            byte[] params = valTypes(r, "parameter");
            byte[] results = valTypes(r, "result");
            types.add(new FuncSig(params, results));
        }
    }

    private byte[] valTypes(WasmReader r, String what) {
        int n = r.u32Int("the " + what + " count");
        if (n > r.remaining()) {
            throw r.malformed("unexpected end of data: " + n + " " + what + " types declared");
        }
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) valType(r);
        }
        return out;
    }

    private static int valType(WasmReader r) {
        int t = r.u8("a value type");
        if (spiTypeOrNull(t) == null) {
            throw WasmReader.malformed("unknown value type 0x" + Integer.toHexString(t), r.pos() - 1);
        }
        return t;
    }

    private int typeIndex(WasmReader r) {
        int at = r.pos();
        int idx = r.u32Int("a type index");
        if (idx >= types.size()) {
            throw WasmReader.malformed("unknown type " + idx + " (the module declares " + types.size() + ")", at);
        }
        return idx;
    }

    private void decodeImports(WasmReader r, int count) {
        for (int i = 0; i < count; i++) {
            int entryStart = r.pos();
            String module = r.name("an import module name");
            String name = r.name("an import field name");
            int kindAt = r.pos();
            int kind = r.u8("an import kind");
            switch (kind) {
                case 0 -> {
                    int t = typeIndex(r);
                    functions.add(t);
                    importedFunctions++;
                    imports.add(new Import(module, name, ExternKind.FUNCTION, t, null, null, null, entryStart, r.pos()));
                }
                case 1 -> {
                    TableType t = tableType(r);
                    tables.add(t);
                    importedTables++;
                    imports.add(new Import(module, name, ExternKind.TABLE, -1, t, null, null, entryStart, r.pos()));
                }
                case 2 -> {
                    Limits l = memoryLimits(r);
                    memories.add(l);
                    importedMemories++;
                    imports.add(new Import(module, name, ExternKind.MEMORY, -1, null, l, null, entryStart, r.pos()));
                }
                case 3 -> {
                    GlobalType g = globalType(r);
                    globals.add(g);
                    importedGlobals++;
                    imports.add(new Import(module, name, ExternKind.GLOBAL, -1, null, null, g, entryStart, r.pos()));
                }
                case 4 -> throw new WasmCompileException("invalid module: it imports a tag (" + module + "." + name
                        + "); exception handling is not supported by this engine (wasmtime 7)");
                default -> throw WasmReader.malformed("import " + module + "." + name + " has unknown kind 0x"
                        + Integer.toHexString(kind), kindAt);
            }
        }
    }

    private static TableType tableType(WasmReader r) {
        int at = r.pos();
        int ref = r.u8("a table element type");
        if (ref != FUNCREF && ref != EXTERNREF) {
            throw WasmReader.malformed("a table's element type must be funcref or externref, found 0x"
                    + Integer.toHexString(ref), at);
        }
        int flagsAt = r.pos();
        int flags = r.u8("table limits");
        if (flags > 1) {
            throw WasmReader.malformed("unknown table limits flags 0x" + Integer.toHexString(flags), flagsAt);
        }
        long min = r.u32("a table minimum");
        long max = flags == 1 ? r.u32("a table maximum") : -1;
        if (max >= 0 && max < min) {
            throw new WasmCompileException("invalid module: a table's minimum (" + min + ") exceeds its maximum ("
                    + max + ")");
        }
        return new TableType(ref, new Limits(min, max));
    }

    private static Limits memoryLimits(WasmReader r) {
        int flagsAt = r.pos();
        int flags = r.u8("memory limits");
        if (flags == 2 || flags == 3) {
            throw new WasmCompileException("invalid module: shared memories need the threads proposal, which this"
                    + " engine does not enable");
        }
        if (flags >= 4 && flags <= 7) {
            throw new WasmCompileException("invalid module: 64-bit memories need the memory64 proposal, which this"
                    + " engine does not enable");
        }
        if (flags > 1) {
            throw WasmReader.malformed("unknown memory limits flags 0x" + Integer.toHexString(flags), flagsAt);
        }
        long min = r.u32("a memory minimum");
        long max = flags == 1 ? r.u32("a memory maximum") : -1;
        if (min > MAX_MEMORY_PAGES || max > MAX_MEMORY_PAGES) {
            throw new WasmCompileException("invalid module: a memory size must be at most " + MAX_MEMORY_PAGES
                    + " pages (4 GiB), found " + Math.max(min, max));
        }
        if (max >= 0 && max < min) {
            throw new WasmCompileException("invalid module: a memory's minimum (" + min + " pages) exceeds its"
                    + " maximum (" + max + ")");
        }
        return new Limits(min, max);
    }

    private static GlobalType globalType(WasmReader r) {
        int t = valType(r);
        int at = r.pos();
        int mut = r.u8("a global's mutability");
        if (mut > 1) {
            throw WasmReader.malformed("a global's mutability must be 0 or 1, found " + mut, at);
        }
        return new GlobalType(t, mut == 1);
    }

    /**
     * Delimits a constant expression: the instructions WebAssembly allows there without the
     * extended-const and GC proposals, then {@code end}.
     */
    static Expr constExpr(WasmReader r) {
        int start = r.pos();
        while (true) {
            int at = r.pos();
            int op = r.u8("a constant expression");
            switch (op) {
                case 0x0B -> {
                    return new Expr(start, r.pos());
                }
                case 0x41 -> r.signed(32, "an i32.const");
                case 0x42 -> r.signed(64, "an i64.const");
                case 0x43 -> r.skip(4, "an f32.const");
                case 0x44 -> r.skip(8, "an f64.const");
                case 0x23 -> r.u32("a global.get index");
                case 0xD0 -> {
                    int heap = r.u8("a ref.null type");
                    if (heap != FUNCREF && heap != EXTERNREF) {
                        throw WasmReader.malformed("ref.null of unknown type 0x" + Integer.toHexString(heap), at + 1);
                    }
                }
                case 0xD2 -> r.u32("a ref.func index");
                case 0xFD -> {
                    long sub = r.u32("a vector opcode");
                    if (sub != 12) {
                        throw new WasmCompileException("invalid module: constant expression required, found vector"
                                + " instruction " + sub + " at byte offset " + WasmReader.hex(at));
                    }
                    r.skip(16, "a v128.const");
                }
                default -> throw new WasmCompileException("invalid module: constant expression required, found"
                        + " opcode 0x" + Integer.toHexString(op) + " at byte offset " + WasmReader.hex(at));
            }
        }
    }

    private void decodeExports(WasmReader r, int count) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < count; i++) {
            int at = r.pos();
            String name = r.name("an export name");
            int kind = r.u8("an export kind");
            int index = r.u32Int("an export index");
            ExternKind k = switch (kind) {
                case 0 -> ExternKind.FUNCTION;
                case 1 -> ExternKind.TABLE;
                case 2 -> ExternKind.MEMORY;
                case 3 -> ExternKind.GLOBAL;
                case 4 -> throw new WasmCompileException("invalid module: it exports a tag ('" + name
                        + "'); exception handling is not supported by this engine (wasmtime 7)");
                default -> throw WasmReader.malformed("export '" + name + "' has unknown kind 0x"
                        + Integer.toHexString(kind), at);
            };
            int space = switch (k) {
                case FUNCTION -> functions.size();
                case TABLE -> tables.size();
                case MEMORY -> memories.size();
                case GLOBAL -> globals.size();
                case TAG -> 0;
            };
            if (index >= space) {
                throw new WasmCompileException("invalid module: export '" + name + "' refers to "
                        + k.name().toLowerCase(Locale.ROOT) + " " + index + ", which does not exist");
            }
            if (!names.add(name)) {
                throw new WasmCompileException("invalid module: duplicate export name '" + name + "'");
            }
            exports.add(new Export(name, k, index));
        }
    }

    private void decodeElements(WasmReader r, int count) {
        List<Expr> list = exprs.computeIfAbsent(ELEMENT, k -> new ArrayList<>());
        for (int i = 0; i < count; i++) {
            int at = r.pos();
            long flags = r.u32("element segment flags");
            if (flags > 7) {
                throw WasmReader.malformed("element segment " + i + " has unknown flags " + flags, at);
            }
            boolean usesExprs = (flags & 4) != 0;
            boolean passiveOrDeclared = (flags & 1) != 0;
            boolean explicitTable = (flags & 2) != 0 && !passiveOrDeclared;
            if (explicitTable) {
                r.u32("a table index");
            }
            if (!passiveOrDeclared) {
                list.add(constExpr(r));
            }
            if (flags != 0 && flags != 4) {
                int kindAt = r.pos();
                int kind = r.u8(usesExprs ? "an element reference type" : "an element kind");
                if (usesExprs ? kind != FUNCREF && kind != EXTERNREF : kind != 0) {
                    throw WasmReader.malformed("element segment " + i + " has unknown element type 0x"
                            + Integer.toHexString(kind), kindAt);
                }
            }
            int n = r.u32Int("an element count");
            for (int k = 0; k < n; k++) {
                if (usesExprs) {
                    list.add(constExpr(r));
                } else {
                    r.u32("a function index");
                }
            }
        }
    }

    private void decodeData(WasmReader r, int count) {
        List<Expr> list = exprs.computeIfAbsent(DATA, k -> new ArrayList<>());
        for (int i = 0; i < count; i++) {
            int at = r.pos();
            long flags = r.u32("data segment flags");
            if (flags > 2) {
                throw WasmReader.malformed("data segment " + i + " has unknown flags " + flags, at);
            }
            if (flags == 2) {
                r.u32("a memory index");
            }
            if (flags != 1) {
                list.add(constExpr(r));
            }
            long size = r.u32("the size of data segment " + i);
            r.skip(size, "data segment " + i);
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * The position of a section id in the order the binary format requires.
     *
     * @param id the id
     * @return its rank, or -1 for an unknown id
     */
    static int rank(int id) {
        return ModuleLayout.rank(id);
    }

    /**
     * A section's name for messages.
     *
     * @param id the id
     * @return e.g. {@code "the import section"}
     */
    static String sectionName(int id) {
        return switch (id) {
            case CUSTOM -> "a custom section";
            case TYPE -> "the type section";
            case IMPORT -> "the import section";
            case FUNCTION -> "the function section";
            case TABLE -> "the table section";
            case MEMORY -> "the memory section";
            case GLOBAL -> "the global section";
            case EXPORT -> "the export section";
            case START -> "the start section";
            case ELEMENT -> "the element section";
            case CODE -> "the code section";
            case DATA -> "the data section";
            case DATA_COUNT -> "the data count section";
            case TAG -> "the tag section";
            default -> "section " + id;
        };
    }

    /**
     * The SPI's name for a value type byte.
     *
     * @param t the byte
     * @return the type
     */
    static ValueType spiType(int t) {
        ValueType v = spiTypeOrNull(t);
        if (v == null) {
            throw new IllegalArgumentException("unknown value type 0x" + Integer.toHexString(t));
        }
        return v;
    }

    private static ValueType spiTypeOrNull(int t) {
        return switch (t) {
            case I32 -> ValueType.I32;
            case I64 -> ValueType.I64;
            case F32 -> ValueType.F32;
            case F64 -> ValueType.F64;
            case V128 -> ValueType.V128;
            case FUNCREF -> ValueType.FUNCREF;
            case EXTERNREF -> ValueType.EXTERNREF;
            default -> null;
        };
    }

    /**
     * The byte of an SPI value type.
     *
     * @param v the type
     * @return its encoding
     */
    static int typeByte(ValueType v) {
        return switch (v) {
            case I32 -> I32;
            case I64 -> I64;
            case F32 -> F32;
            case F64 -> F64;
            case V128 -> V128;
            case FUNCREF -> FUNCREF;
            case EXTERNREF -> EXTERNREF;
        };
    }

    /**
     * A value type the way WebAssembly text writes it.
     *
     * @param t the byte
     * @return e.g. {@code i32}
     */
    static String typeName(int t) {
        return spiType(t).name().toLowerCase(Locale.ROOT);
    }

    private String hexBytes(int from, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < from + n; i++) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(String.format(Locale.ROOT, "%02x", bytes[i] & 0xFF));
        }
        return b.toString();
    }
}
