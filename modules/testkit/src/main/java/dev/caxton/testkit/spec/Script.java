package dev.caxton.testkit.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One converted spec script: the commands {@code wast2json} wrote to {@code NAME.json}, and the
 * directory holding the module files they name.
 *
 * @param name      the script name, e.g. {@code i32}
 * @param directory the directory of the JSON file and the modules
 * @param commands  the commands, in order
 */
record Script(String name, Path directory, List<Command> commands) {

    /**
     * A value as the script writes it: a type and, except in some result lists, a value. Integers
     * and floats are unsigned decimal bit patterns; floats may instead be a NaN pattern, and
     * references {@code null} or a host reference number.
     *
     * @param type  {@code i32}, {@code i64}, {@code f32}, {@code f64}, {@code v128}, {@code funcref},
     *              {@code externref}...
     * @param value the written value, or null when the script gives only the type
     */
    record Value(String type, String value) {
    }

    /**
     * What an assertion does: call an export or read an exported global.
     *
     * @param type   {@code invoke} or {@code get}
     * @param module the name ({@code $M}) of the module to act on, or null for the latest one
     * @param field  the export name
     * @param args   the arguments of an invoke (empty for get)
     */
    record Action(String type, String module, String field, List<Value> args) {
    }

    /**
     * One command.
     *
     * @param key        identifies the command within its script: the source line, with
     *                   {@code #n} appended for the n-th command sharing a line
     * @param line       the line in the {@code .wast} source
     * @param type       {@code module}, {@code assert_return}...
     * @param filename   the module file of module commands and module assertions, else null
     * @param moduleType {@code binary} or {@code text} for module assertions, else null
     * @param name       the module name ({@code $M}) of {@code module} and {@code register}, else null
     * @param as         the registration name of {@code register}, else null
     * @param text       the failure message the spec expects, else null
     * @param action     the action of action assertions, else null
     * @param expected   the expected results (empty when none)
     */
    record Command(String key, int line, String type, String filename, String moduleType, String name, String as,
                   String text, Action action, List<Value> expected) {
    }

    /**
     * Reads a script.
     *
     * @param name the script name
     * @param json its {@code NAME.json} file
     * @return the script
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when it is not a {@code wast2json} command file; the message
     *         names the file and the offending command
     */
    static Script read(String name, Path json) throws IOException {
        String text = Files.readString(json, StandardCharsets.UTF_8);
        String source = json.getFileName().toString();
        Object doc = Json.parse(text, source);
        if (!(doc instanceof Map<?, ?> top) || !(top.get("commands") instanceof List<?> list)) {
            throw new IllegalArgumentException(source + ": expected an object with a \"commands\" array, as wast2json writes");
        }
        List<Command> commands = new ArrayList<>(list.size());
        Map<Integer, Integer> perLine = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String where = source + ": command " + (i + 1);
            if (!(list.get(i) instanceof Map<?, ?> c)) {
                throw new IllegalArgumentException(where + " is not an object");
            }
            int line = Math.toIntExact(requireLong(c, "line", where));
            where = source + ": command " + (i + 1) + " (line " + line + ")";
            int seen = perLine.merge(line, 1, Integer::sum);
            String key = seen == 1 ? Integer.toString(line) : line + "#" + seen;
            Object action = c.get("action");
            commands.add(new Command(key, line, requireString(c, "type", where), optString(c, "filename", where),
                    optString(c, "module_type", where), optString(c, "name", where), optString(c, "as", where),
                    optString(c, "text", where), action == null ? null : action(action, where),
                    values(c.get("expected"), where + " expected")));
        }
        return new Script(name, json.getParent(), List.copyOf(commands));
    }

    private static Action action(Object o, String where) {
        if (!(o instanceof Map<?, ?> a)) {
            throw new IllegalArgumentException(where + ": \"action\" is not an object");
        }
        String w = where + " action";
        return new Action(requireString(a, "type", w), optString(a, "module", w), requireString(a, "field", w),
                values(a.get("args"), w + " args"));
    }

    private static List<Value> values(Object o, String where) {
        if (o == null) {
            return List.of();
        }
        if (!(o instanceof List<?> list)) {
            throw new IllegalArgumentException(where + " is not an array");
        }
        List<Value> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String w = where + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> v)) {
                throw new IllegalArgumentException(w + " is not an object");
            }
            Object value = v.get("value");
            if (value != null && !(value instanceof String)) {
                // wast2json writes v128 lanes as an array; keep them recognisable, they are skipped anyway.
                value = value.toString();
            }
            out.add(new Value(requireString(v, "type", w), (String) value));
        }
        return List.copyOf(out);
    }

    private static String requireString(Map<?, ?> m, String key, String where) {
        String s = optString(m, key, where);
        if (s == null) {
            throw new IllegalArgumentException(where + ": missing \"" + key + "\"");
        }
        return s;
    }

    private static String optString(Map<?, ?> m, String key, String where) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(where + ": \"" + key + "\" should be a string, got " + v);
        }
        return s;
    }

    private static long requireLong(Map<?, ?> m, String key, String where) {
        if (!(m.get(key) instanceof Long l)) {
            throw new IllegalArgumentException(where + ": missing or non-integer \"" + key + "\"");
        }
        return l;
    }
}
