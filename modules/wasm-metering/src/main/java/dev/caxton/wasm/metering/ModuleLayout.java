package dev.caxton.wasm.metering;

import java.util.ArrayList;
import java.util.List;

/**
 * What metering needs to know of a module binary: where its sections lie, its function types, the
 * type of every function, how many globals it has and what it exports. Element, data and table
 * contents are only stepped over.
 *
 * <p>This is no validator: an engine validates the module first (metering is applied to modules the
 * engine has accepted), and this class only refuses what it cannot step over, with
 * {@link WasmReader.MalformedException}.
 */
public final class ModuleLayout {

    /** Section ids. */
    public static final int CUSTOM = 0;
    public static final int TYPE = 1;
    public static final int IMPORT = 2;
    public static final int FUNCTION = 3;
    public static final int GLOBAL = 6;
    public static final int EXPORT = 7;
    public static final int CODE = 10;
    /** The first id of the sections after the import section that this class skips over. */
    private static final int TABLE = 4, MEMORY = 5, START = 8, ELEMENT = 9, DATA = 11, DATA_COUNT = 12, TAG = 13;

    /** The i64 value type. */
    public static final int I64 = 0x7E;

    /** What an import or export refers to, as the binary encodes it. */
    public static final int KIND_FUNCTION = 0;

    /**
     * A function signature as raw value type bytes.
     *
     * @param params  the parameter types
     * @param results the result types
     */
    public record FuncSig(byte[] params, byte[] results) {
    }

    /**
     * One export.
     *
     * @param name  its name
     * @param kind  0 function, 1 table, 2 memory, 3 global, 4 tag
     * @param index the index of what it exports
     */
    public record Export(String name, int kind, int index) {
    }

    /** The bytes it describes. */
    public final byte[] bytes;
    /** Every section, custom ones included, in order. */
    public final List<Section> sections = new ArrayList<>();
    /** The function types. */
    public final List<FuncSig> types = new ArrayList<>();
    /** The type index of every function, imported ones first. */
    public final List<Integer> functions = new ArrayList<>();
    /** The exports, in order. */
    public final List<Export> exports = new ArrayList<>();
    private int importedFunctions;
    private int globals;

    private ModuleLayout(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * Reads a module's layout.
     *
     * @param bytes the binary, already accepted by an engine
     * @return its layout
     * @throws WasmReader.MalformedException when the binary cannot be stepped through
     */
    public static ModuleLayout of(byte[] bytes) {
        ModuleLayout layout = new ModuleLayout(bytes);
        layout.read();
        return layout;
    }

    /** @return how many functions are imported (they come first in the index space) */
    public int importedFunctions() {
        return importedFunctions;
    }

    /** @return how many globals there are, imported ones included */
    public int globalCount() {
        return globals;
    }

    /**
     * The first section with an id.
     *
     * @param id the id
     * @return the section, or null
     */
    public Section section(int id) {
        for (Section s : sections) {
            if (s.id() == id) {
                return s;
            }
        }
        return null;
    }

    /**
     * The order sections must come in (custom sections aside).
     *
     * @param id the id
     * @return its rank, or -1 for an unknown id
     */
    public static int rank(int id) {
        return switch (id) {
            case TYPE -> 1;
            case IMPORT -> 2;
            case FUNCTION -> 3;
            case TABLE -> 4;
            case MEMORY -> 5;
            case TAG -> 6;
            case GLOBAL -> 7;
            case EXPORT -> 8;
            case START -> 9;
            case ELEMENT -> 10;
            case DATA_COUNT -> 11;
            case CODE -> 12;
            case DATA -> 13;
            default -> -1;
        };
    }

    private void read() {
        if (bytes.length < 8 || bytes[0] != 0 || bytes[1] != 'a' || bytes[2] != 's' || bytes[3] != 'm') {
            throw WasmReader.malformed("not a WebAssembly binary (no '\\0asm' header)", 0);
        }
        WasmReader r = new WasmReader(bytes, 8, bytes.length);
        while (!r.atEnd()) {
            int start = r.pos();
            int id = r.u8("a section id");
            long size = r.u32("a section size");
            int payloadStart = r.pos();
            r.skip(size, "section " + id);
            int end = r.pos();
            WasmReader p = new WasmReader(bytes, payloadStart, end);
            boolean vector = id != CUSTOM && id != START && id != DATA_COUNT;
            int count = vector ? p.u32Int("the entry count of section " + id) : 0;
            int entriesStart = vector ? p.pos() : payloadStart;
            switch (id) {
                case TYPE -> readTypes(p, count);
                case IMPORT -> readImports(p, count);
                case FUNCTION -> {
                    for (int i = 0; i < count; i++) {
                        functions.add(p.u32Int("a type index"));
                    }
                }
                case GLOBAL -> globals += count;
                case EXPORT -> {
                    for (int i = 0; i < count; i++) {
                        exports.add(new Export(p.name("an export name"), p.u8("an export kind"), p.u32Int("an export index")));
                    }
                }
                default -> {
                    // Nothing metering needs.
                }
            }
            sections.add(new Section(id, start, payloadStart, entriesStart, count, end));
        }
    }

    private void readTypes(WasmReader r, int count) {
        for (int i = 0; i < count; i++) {
            int form = r.u8("a type form");
            if (form != 0x60) {
                throw r.malformed("type " + i + " is not a function type (form 0x" + Integer.toHexString(form) + ")");
            }
            byte[] params = new byte[r.u32Int("a parameter count")];
            for (int k = 0; k < params.length; k++) {
                params[k] = (byte) r.u8("a parameter type");
            }
            byte[] results = new byte[r.u32Int("a result count")];
            for (int k = 0; k < results.length; k++) {
                results[k] = (byte) r.u8("a result type");
            }
            types.add(new FuncSig(params, results));
        }
    }

    private void readImports(WasmReader r, int count) {
        for (int i = 0; i < count; i++) {
            r.name("an import module name");
            r.name("an import field name");
            int kind = r.u8("an import kind");
            switch (kind) {
                case KIND_FUNCTION -> {
                    functions.add(r.u32Int("a type index"));
                    importedFunctions++;
                }
                case 1 -> {
                    r.u8("a table element type");
                    limits(r);
                }
                case 2 -> limits(r);
                case 3 -> {
                    r.u8("a global type");
                    r.u8("a global's mutability");
                    globals++;
                }
                default -> throw r.malformed("import kind 0x" + Integer.toHexString(kind) + " is not supported by metering");
            }
        }
    }

    private static void limits(WasmReader r) {
        int flags = r.u8("limits");
        // Bit 0: a maximum follows; bit 1: shared. 64-bit limits (bit 2) are not stepped over.
        if (flags > 3) {
            throw r.malformed("limits flags 0x" + Integer.toHexString(flags) + " are not supported by metering");
        }
        r.u32("a minimum");
        if (flags == 1) {
            r.u32("a maximum");
        }
    }
}
