package dev.caxton.tests.wasmspec;

import dev.caxton.testkit.Wat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes small suites in the {@code wast2json} layout ({@code json/NAME/NAME.json} and its module
 * files), so the runner's own behaviour can be tested on commands whose right outcome is known.
 */
final class SyntheticSuite {

    private final Path root;

    SyntheticSuite(Path root) {
        this.root = root;
    }

    /** @return the suite directory to hand to the runner */
    Path root() {
        return root;
    }

    /** Compiles WAT into a module file of a script. */
    SyntheticSuite wat(String script, String file, String wat) {
        return bytes(script, file, Wat.compile(wat));
    }

    /** Writes raw bytes as a module file of a script. */
    SyntheticSuite bytes(String script, String file, byte[] bytes) {
        try {
            Path dir = Files.createDirectories(root.resolve("json").resolve(script));
            Files.write(dir.resolve(file), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Writes a script's command file from one JSON object per command. */
    SyntheticSuite script(String script, List<String> commands) {
        return json(script, "{\"source_filename\": \"" + script + ".wast\",\n \"commands\": [\n  "
                + String.join(",\n  ", commands) + "]}\n");
    }

    /** Writes a script's command file verbatim. */
    SyntheticSuite json(String script, String text) {
        try {
            Path dir = Files.createDirectories(root.resolve("json").resolve(script));
            Files.writeString(dir.resolve(script + ".json"), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A module command. */
    static String module(int line, String name, String file) {
        return "{\"type\": \"module\", \"line\": " + line + (name == null ? "" : ", \"name\": \"" + name + "\"")
                + ", \"filename\": \"" + file + "\"}";
    }

    /** An invoke action on the latest module. */
    static String invoke(String field, String... args) {
        return invokeOn(null, field, args);
    }

    /** An invoke action on a named module. */
    static String invokeOn(String module, String field, String... args) {
        return "{\"type\": \"invoke\"" + (module == null ? "" : ", \"module\": \"" + module + "\"") + ", \"field\": \""
                + field + "\", \"args\": [" + String.join(", ", args) + "]}";
    }

    /** A typed value, e.g. {@code value("i32", "5")}. */
    static String value(String type, String value) {
        return "{\"type\": \"" + type + "\", \"value\": \"" + value + "\"}";
    }

    /** An {@code assert_return}. */
    static String assertReturn(int line, String action, String... expected) {
        return "{\"type\": \"assert_return\", \"line\": " + line + ", \"action\": " + action + ", \"expected\": ["
                + String.join(", ", expected) + "]}";
    }

    /** An action run for its effect. */
    static String action(int line, String action) {
        return "{\"type\": \"action\", \"line\": " + line + ", \"action\": " + action + ", \"expected\": []}";
    }

    /** An {@code assert_trap} or {@code assert_exhaustion}. */
    static String assertTrap(String type, int line, String action, String text) {
        return "{\"type\": \"" + type + "\", \"line\": " + line + ", \"action\": " + action + ", \"text\": \"" + text
                + "\", \"expected\": []}";
    }

    /** A module assertion ({@code assert_invalid}, {@code assert_unlinkable}...). */
    static String assertModule(String type, int line, String file, String text, String moduleType) {
        return "{\"type\": \"" + type + "\", \"line\": " + line + ", \"filename\": \"" + file + "\", \"text\": \"" + text
                + "\", \"module_type\": \"" + moduleType + "\"}";
    }

    /** A register command. */
    static String register(int line, String name, String as) {
        return "{\"type\": \"register\", \"line\": " + line + (name == null ? "" : ", \"name\": \"" + name + "\"")
                + ", \"as\": \"" + as + "\"}";
    }
}
