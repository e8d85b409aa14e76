package dev.caxton.wasm.metering;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Re-emits a module section by section, applying edits keyed by section id; sections that a
 * module lacks but an edit needs are created at their place in the required order.
 */
public final class SectionEmitter {
    private final byte[] bytes;
    private final Map<Integer, Edit> edits = new TreeMap<>();

    /** What happens to one section. */
    private static final class Edit {
        boolean drop;
        WasmWriter replacement;          // a whole new payload
        WasmWriter entries;              // new entries replacing the old ones (count kept)
        WasmWriter before;               // entries to put first
        int beforeCount;
        WasmWriter after;                // entries to put last
        int afterCount;
    }

    public SectionEmitter(byte[] bytes) {
        this.bytes = bytes;
    }

    private Edit edit(int id) {
        return edits.computeIfAbsent(id, k -> new Edit());
    }

    public void drop(int id) {
        edit(id).drop = true;
    }

    public void replace(int id, WasmWriter payload) {
        edit(id).replacement = payload;
    }

    public void replaceEntries(int id, WasmWriter entries) {
        edit(id).entries = entries;
    }

    public void prepend(int id, WasmWriter entries, int count) {
        Edit e = edit(id);
        e.before = entries;
        e.beforeCount = count;
    }

    public void append(int id, WasmWriter entries, int count) {
        Edit e = edit(id);
        e.after = entries;
        e.afterCount = count;
    }

    /**
     * Writes the module with the edits applied.
     *
     * @param sections the sections of the module this emitter was made for, in order
     * @return the new binary
     */
    public byte[] emit(List<Section> sections) {
        WasmWriter out = new WasmWriter(bytes.length + 256);
        out.bytes(bytes, 0, 8);
        Set<Integer> present = new HashSet<>();
        sections.forEach(s -> present.add(s.id()));
        List<Integer> missing = new ArrayList<>();
        for (Map.Entry<Integer, Edit> e : edits.entrySet()) {
            if (!present.contains(e.getKey()) && !e.getValue().drop) {
                missing.add(e.getKey());
            }
        }
        missing.sort((a, b) -> Integer.compare(ModuleLayout.rank(a), ModuleLayout.rank(b)));
        int next = 0;
        for (Section s : sections) {
            if (s.id() != ModuleLayout.CUSTOM) {
                while (next < missing.size() && ModuleLayout.rank(missing.get(next)) < ModuleLayout.rank(s.id())) {
                    emitNew(out, missing.get(next++));
                }
            }
            Edit e = s.id() == ModuleLayout.CUSTOM ? null : edits.get(s.id());
            if (e == null) {
                out.bytes(bytes, s.start(), s.end());
            } else if (!e.drop) {
                out.section(s.id(), payload(s, e));
            }
        }
        while (next < missing.size()) {
            emitNew(out, missing.get(next++));
        }
        return out.toByteArray();
    }

    private void emitNew(WasmWriter out, int id) {
        Edit e = edits.get(id);
        out.section(id, payload(null, e));
    }

    private WasmWriter payload(Section s, Edit e) {
        if (e.replacement != null) {
            return e.replacement;
        }
        int count = (s == null ? 0 : s.count()) + e.beforeCount + e.afterCount;
        WasmWriter p = new WasmWriter((s == null ? 0 : s.end() - s.payloadStart()) + 64);
        p.u32(count);
        if (e.before != null) {
            p.bytes(e.before.toByteArray());
        }
        if (e.entries != null) {
            p.bytes(e.entries.toByteArray());
        } else if (s != null) {
            p.bytes(bytes, s.entriesStart(), s.end());
        }
        if (e.after != null) {
            p.bytes(e.after.toByteArray());
        }
        return p;
    }
}
