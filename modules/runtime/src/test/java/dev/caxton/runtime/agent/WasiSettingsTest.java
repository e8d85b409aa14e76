package dev.caxton.runtime.agent;

import dev.caxton.runtime.api.DeployException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bounds on a WASI agent's arguments and environment, and the errors that name what is wrong. */
class WasiSettingsTest {

    private static void refused(boolean wasi, List<String> args, Map<String, String> env, String... parts) {
        DeployException e = catchThrowableOfType(DeployException.class, () -> WasiSettings.check(wasi, args, env));
        assertThat(e).as("refused").isNotNull();
        assertThat(e.kind()).isEqualTo(DeployException.Kind.INVALID_REQUEST);
        for (String p : parts) {
            assertThat(e).hasMessageContaining(p);
        }
    }

    @Test
    void ordinarySettingsPass() {
        assertThatCode(() -> WasiSettings.check(false, List.of(), Map.of())).doesNotThrowAnyException();
        assertThatCode(() -> WasiSettings.check(true, List.of("--mode", "", "a=b", "größe"),
                Map.of("HOME", "/nowhere", "EMPTY", "", "EQ", "x=y"))).doesNotThrowAnyException();
    }

    @Test
    void argumentsWithoutWasiNameTheFieldAndTheFlag() {
        refused(false, List.of("x"), Map.of(), "field 'wasi_args'", "deploy with wasi (--wasi)");
        refused(false, List.of(), Map.of("A", "b"), "field 'wasi_env'", "deploy with wasi (--wasi)");
    }

    @Test
    void countsAreBounded() {
        List<String> args = new ArrayList<>();
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < WasiSettings.MAX_ARGS; i++) {
            args.add("a" + i);
            env.put("V" + i, "v");
        }
        assertThatCode(() -> WasiSettings.check(true, args, env)).doesNotThrowAnyException();
        args.add("one more");
        refused(true, args, Map.of(), "field 'wasi_args' has 65 arguments; at most 64");
        env.put("ONE_MORE", "v");
        refused(true, List.of(), env, "field 'wasi_env' has 65 variables; at most 64");
    }

    @Test
    void sizesAreBoundedPerEntryAndInTotal() {
        String big = "x".repeat(WasiSettings.MAX_ITEM_BYTES + 1);
        refused(true, List.of("ok", big), Map.of(), "field 'wasi_args', argument 2 is 4097 bytes long; at most 4096");
        refused(true, List.of(), Map.of("BIG", big), "variable 'BIG' is 4101 bytes long");
        // Multi-byte characters count as their UTF-8 bytes.
        refused(true, List.of("ü".repeat(2049)), Map.of(), "argument 1 is 4098 bytes long");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            many.add("y".repeat(4000));
        }
        refused(true, many, Map.of(), "fields 'wasi_args' and 'wasi_env' take 36000 bytes together; at most 32768");
    }

    @Test
    void namesAndTextsThatCCannotSeeAreRefused() {
        refused(true, List.of("a\0b"), Map.of(), "argument 1 contains a NUL character");
        refused(true, List.of(), Map.of("A=B", "c"), "variable 'A=B'", "cannot contain '='");
        refused(true, List.of(), Map.of("", "c"), "a variable with an empty name");
        refused(true, List.of(), Map.of("A", "b\0"), "variable 'A' contains a NUL character");
    }
}
