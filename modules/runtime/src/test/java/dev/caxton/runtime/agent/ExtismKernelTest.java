package dev.caxton.runtime.agent;

import dev.caxton.runtime.api.ExtismSettings;
import dev.caxton.runtime.api.DeployException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmModule;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Extism kernel as a plugin sees it, function by function: blocks and their bounds, bad offsets,
 * the allocation cap, input and output, config, vars and their limits, and the settings' storage form.
 * (Plugins built with real toolchains run against a node in tests/integration, ExtismPluginTest.)
 */
class ExtismKernelTest {

    private final List<String> logged = new ArrayList<>();
    private final ExtismKernel kernel = new ExtismKernel(4096, Map.of("greeting", "héllo"),
            (level, line) -> logged.add(level + " " + line));
    private final Map<String, HostFunction> fns = new LinkedHashMap<>();

    ExtismKernelTest() {
        for (HostFunction f : kernel.hostFunctions()) {
            fns.put(f.name(), f);
        }
    }

    private long call(String name, long... args) {
        long[] r = fns.get(name).body().call(null, args);
        return r.length == 0 ? 0 : r[0];
    }

    private long store(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        long at = call("alloc", b.length);
        for (int i = 0; i < b.length; i++) {
            call("store_u8", at + i, b[i]);
        }
        return at;
    }

    private String load(long at) {
        byte[] b = new byte[(int) call("length", at)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) call("load_u8", at + i);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void offersEveryKernelFunctionWithItsSignature() {
        assertThat(fns.keySet()).containsAll(List.of("alloc", "free", "length", "load_u8", "load_u64", "store_u8",
                "store_u64", "input_length", "input_load_u8", "input_load_u64", "output_set", "error_set", "config_get",
                "var_get", "var_set", "http_request", "log_info", "log_warn", "log_error", "log_debug"));
        fns.values().forEach(f -> {
            assertThat(f.module()).isEqualTo("extism:host/env");
            assertThat(f.type()).isEqualTo(ExtismKernel.FUNCTIONS.get(f.name()));
        });
    }

    @Test
    void inputIsReadByteByByteAndEightAtATime() {
        byte[] in = "0123456789".getBytes(StandardCharsets.UTF_8);
        kernel.begin(in);
        assertThat(call("input_length")).isEqualTo(10);
        assertThat(call("input_load_u8", 9)).isEqualTo('9');
        // Little-endian, as the plugin's memory: byte 0 is the lowest.
        assertThat(call("input_load_u64", 2)).isEqualTo(0x3938373635343332L);
        long off = call("input_offset");
        assertThat(call("length", off)).isEqualTo(10);
        assertThat(call("load_u8", off + 1)).isEqualTo('1');
        assertThatThrownBy(() -> call("input_load_u64", 3)).isInstanceOf(ExtismKernel.KernelFault.class)
                .hasMessageContaining("input_load_u64 at input index 3").hasMessageContaining("10 bytes");
        assertThatThrownBy(() -> call("input_load_u8", -1)).isInstanceOf(ExtismKernel.KernelFault.class);
    }

    @Test
    void blocksAreBoundedAndBadOffsetsAreFaultsThatSayWhere() {
        kernel.begin(new byte[0]);
        long a = call("alloc", 12);
        long b = call("alloc", 16);
        assertThat(a).isPositive();
        assertThat(b).isGreaterThanOrEqualTo(a + 12);
        call("store_u64", a + 4, 0x0102030405060708L);
        assertThat(call("load_u64", a + 4)).isEqualTo(0x0102030405060708L);
        assertThat(call("load_u8", a + 4)).isEqualTo(8);
        // Eight bytes from a + 5 run past the 12-byte block: never into the next one.
        assertThatThrownBy(() -> call("load_u64", a + 5)).isInstanceOf(ExtismKernel.KernelFault.class)
                .hasMessageContaining("load_u64 at offset " + (a + 5)).hasMessageContaining("holds 12 bytes");
        assertThatThrownBy(() -> call("store_u8", 0, 1)).isInstanceOf(ExtismKernel.KernelFault.class)
                .hasMessageContaining("store_u8 at offset 0");
        assertThatThrownBy(() -> call("load_u8", 1L << 40)).isInstanceOf(ExtismKernel.KernelFault.class);
        assertThatThrownBy(() -> call("length", a + 1)).isInstanceOf(ExtismKernel.KernelFault.class)
                .hasMessageContaining("no block starts at that offset");
        assertThat(call("length", 0)).isZero();
        call("free", a);
        assertThatThrownBy(() -> call("load_u8", a)).as("a freed block is gone").isInstanceOf(ExtismKernel.KernelFault.class);
        assertThatThrownBy(() -> call("free", a)).as("freed twice").isInstanceOf(ExtismKernel.KernelFault.class)
                .hasMessageContaining("free(" + a + ")");
        assertThatThrownBy(() -> call("output_set", b, 17)).isInstanceOf(ExtismKernel.KernelFault.class)
                .hasMessageContaining("length 17 is past the 16 bytes");
    }

    @Test
    void allocationIsCappedByTheMemoryLimitAndResetEachCall() {
        kernel.begin(new byte[100]);
        call("alloc", 3000);
        assertThatThrownBy(() -> call("alloc", 1000)).isInstanceOf(ExtismKernel.KernelFault.class)
                .hasMessageContaining("alloc of 1000 bytes").hasMessageContaining("memory limit of 4096 bytes");
        assertThatThrownBy(() -> call("alloc", -1)).isInstanceOf(ExtismKernel.KernelFault.class);
        // A plugin allocating in a loop stops at the limit, whatever it asks for.
        assertThatThrownBy(() -> {
            for (int i = 0; i < 1_000_000; i++) {
                call("alloc", 64);
            }
        }).isInstanceOf(ExtismKernel.KernelFault.class);
        assertThat(kernel.allocatedBytes()).isLessThanOrEqualTo(4096);
        kernel.end();
        assertThat(kernel.allocatedBytes()).isZero();
        kernel.begin(new byte[0]);
        assertThat(call("alloc", 4000)).as("the next call has the whole limit again").isPositive();
    }

    @Test
    void outputAndErrorAreWhatTheCallLeaves() {
        kernel.begin("x".getBytes(StandardCharsets.UTF_8));
        long out = store("{\"n\":1}");
        call("output_set", out, 7);
        ExtismKernel.Outcome o = kernel.end();
        assertThat(new String(o.output(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}");
        assertThat(o.error()).isNull();

        kernel.begin(new byte[0]);
        call("error_set", store("bad input"));
        assertThat(load(call("error_get"))).isEqualTo("bad input");
        o = kernel.end();
        assertThat(o.error()).isEqualTo("bad input");
        assertThat(o.output()).isNull();
    }

    @Test
    void configIsReadAndMissingKeysAreZero() {
        kernel.begin(new byte[0]);
        assertThat(load(call("config_get", store("greeting")))).isEqualTo("héllo");
        assertThat(call("config_get", store("absent"))).isZero();
        assertThatThrownBy(() -> call("config_get", 12345)).isInstanceOf(ExtismKernel.KernelFault.class)
                .hasMessageContaining("config_get");
    }

    @Test
    void varsOutliveCallsAndAreBounded() {
        kernel.begin(new byte[0]);
        call("var_set", store("count"), store("41"));
        kernel.end();
        kernel.begin(new byte[0]);
        assertThat(load(call("var_get", store("count")))).isEqualTo("41");
        call("var_set", store("count"), 0);
        assertThat(call("var_get", store("count"))).as("removed").isZero();
        kernel.end();

        ExtismKernel big = new ExtismKernel(4L << 20, Map.of(), (l, s) -> { });
        Map<String, HostFunction> f = new LinkedHashMap<>();
        big.hostFunctions().forEach(h -> f.put(h.name(), h));
        big.begin(new byte[0]);
        long value = f.get("alloc").body().call(null, new long[] {600 * 1024})[0];
        long k1 = keyIn(f, "a");
        f.get("var_set").body().call(null, new long[] {k1, value});
        long k2 = keyIn(f, "b");
        assertThatThrownBy(() -> f.get("var_set").body().call(null, new long[] {k2, value}))
                .isInstanceOf(ExtismKernel.KernelFault.class).hasMessageContaining("at most " + ExtismKernel.MAX_VAR_BYTES);
        // Replacing a var counts its new size, not both.
        f.get("var_set").body().call(null, new long[] {k1, value});
        assertThat(big.vars()).containsOnlyKeys("a");
        big.end();
        big.begin(new byte[0]);
        long one = f.get("alloc").body().call(null, new long[] {1})[0];
        for (int i = 1; i < ExtismKernel.MAX_VARS; i++) {
            f.get("var_set").body().call(null, new long[] {keyIn(f, "k" + i), one});
        }
        long last = keyIn(f, "one-too-many");
        assertThatThrownBy(() -> f.get("var_set").body().call(null, new long[] {last, one}))
                .isInstanceOf(ExtismKernel.KernelFault.class).hasMessageContaining(ExtismKernel.MAX_VARS + " vars");
    }

    @Test
    void varsSurviveTheirCheckpointForm() {
        kernel.begin(new byte[0]);
        call("var_set", store("count"), store("7"));
        call("var_set", store("ünï"), store(""));
        kernel.end();
        byte[] saved = kernel.encodeVars();
        ExtismKernel after = new ExtismKernel(4096, Map.of(), (l, s) -> { });
        after.restoreVars(saved);
        assertThat(after.vars()).containsOnlyKeys("count", "ünï");
        assertThat(after.vars().get("count")).isEqualTo("7".getBytes(StandardCharsets.UTF_8));
        after.restoreVars(new byte[0]);
        assertThat(after.vars()).isEmpty();
        assertThatThrownBy(() -> after.restoreVars(new byte[] {0, 0, 0, 1, 0})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("damaged");
    }

    /** Answers each of {@code count} connections on loopback with a 200 and {@code body}; returns the port. */
    private static int httpServer(java.net.ServerSocket server, byte[] body, int count) {
        Thread t = new Thread(() -> {
            for (int i = 0; i < count; i++) {
                try (java.net.Socket s = server.accept()) {
                    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                            StandardCharsets.ISO_8859_1));
                    String line;
                    while ((line = in.readLine()) != null && !line.isEmpty()) {
                        // The request's headers: nothing in them changes the answer.
                    }
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length
                            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().write(body);
                } catch (java.io.IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return server.getLocalPort();
    }

    @Test
    void httpReachesOnlyTheAllowedHostsAndItsResponseIsBounded() throws Exception {
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
            int port = httpServer(server, "hello".getBytes(StandardCharsets.UTF_8), 1);
            ExtismKernel open = new ExtismKernel(4L << 20, Map.of(), List.of("127.0.0.1"), (l, line) -> { });
            Map<String, HostFunction> f = new LinkedHashMap<>();
            open.hostFunctions().forEach(h -> f.put(h.name(), h));
            open.begin(new byte[0]);
            long ok = f.get("http_request").body().call(null, new long[] {
                    keyIn(f, "{\"url\":\"http://127.0.0.1:" + port + "/x\",\"method\":\"GET\"}"), 0})[0];
            assertThat(f.get("http_status_code").body().call(null, new long[0])[0]).isEqualTo(200);
            assertThat(f.get("length").body().call(null, new long[] {ok})[0]).isEqualTo(5);
            long other = keyIn(f, "{\"url\":\"http://localhost:" + port + "/x\"}");
            assertThatThrownBy(() -> f.get("http_request").body().call(null, new long[] {other, 0}))
                    .isInstanceOf(ExtismKernel.KernelFault.class).hasMessageContaining("'localhost' refused")
                    .hasMessageContaining("127.0.0.1");
            long file = keyIn(f, "{\"url\":\"file:///etc/passwd\"}");
            assertThatThrownBy(() -> f.get("http_request").body().call(null, new long[] {file, 0}))
                    .isInstanceOf(ExtismKernel.KernelFault.class).hasMessageContaining("must be http or https");
        }
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
            int port = httpServer(server, new byte[ExtismKernel.MAX_HTTP_RESPONSE + 1], 1);
            ExtismKernel open = new ExtismKernel(4L << 20, Map.of(), List.of("127.0.0.1"), (l, line) -> { });
            Map<String, HostFunction> f = new LinkedHashMap<>();
            open.hostFunctions().forEach(h -> f.put(h.name(), h));
            open.begin(new byte[0]);
            long big = keyIn(f, "{\"url\":\"http://127.0.0.1:" + port + "/big\"}");
            assertThatThrownBy(() -> f.get("http_request").body().call(null, new long[] {big, 0}))
                    .isInstanceOf(ExtismKernel.KernelFault.class).hasMessageContaining("over " + ExtismKernel.MAX_HTTP_RESPONSE);
        }
    }

    private static long keyIn(Map<String, HostFunction> f, String key) {
        byte[] b = key.getBytes(StandardCharsets.UTF_8);
        long at = f.get("alloc").body().call(null, new long[] {b.length})[0];
        for (int i = 0; i < b.length; i++) {
            f.get("store_u8").body().call(null, new long[] {at + i, b[i]});
        }
        return at;
    }

    @Test
    void aBlockViewIsBoundedByItsBlock() {
        kernel.begin(new byte[0]);
        long at = store("envelope");
        var view = kernel.blockView(at, "send_message");
        assertThat(view.size()).isEqualTo(8);
        assertThat(new String(view.read(0, 8), StandardCharsets.UTF_8)).isEqualTo("envelope");
        assertThatThrownBy(() -> view.read(4, 5)).isInstanceOf(dev.caxton.spi.engine.MemoryAccessException.class);
        assertThatThrownBy(() -> kernel.blockView(at + 1, "send_message")).isInstanceOf(ExtismKernel.KernelFault.class)
                .hasMessageContaining("send_message: no block starts at offset " + (at + 1));
    }

    @Test
    void httpIsRefusedWithoutAnAllowListAndLogsGoToTheAgentLog() {
        kernel.begin(new byte[0]);
        assertThatThrownBy(() -> call("http_request", store("{\"url\":\"http://127.0.0.1/\"}"), 0))
                .isInstanceOf(ExtismKernel.KernelFault.class).hasMessageContaining("http_request to '127.0.0.1' refused")
                .hasMessageContaining("--extism-allow-host 127.0.0.1");
        call("log_warn", store("careful"));
        assertThat(logged).containsExactly("WARNING careful");
    }

    @Test
    void settingsSurviveTheirStorageForm() {
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("a=b&c", "x=y & z");
        cfg.put("ünï", "");
        ExtismSettings s = new ExtismSettings("count_vowels", cfg, List.of("API.example.com", "127.0.0.1"));
        assertThat(s.allowedHosts()).containsExactly("api.example.com", "127.0.0.1");
        assertThatThrownBy(() -> new ExtismSettings("f", Map.of(), List.of("https://x.org/")))
                .isInstanceOf(DeployException.class).hasMessageContaining("extism_allow_hosts");
        ExtismSettings back = ExtismSettings.decode(s.encode());
        assertThat(back).isEqualTo(s);
        assertThat(back.config().keySet()).containsExactly("a=b&c", "ünï");
        assertThat(ExtismSettings.decode(null)).isNull();
        assertThat(ExtismSettings.parseConfig(List.of("k=v=w"))).containsEntry("k", "v=w");
        assertThatThrownBy(() -> ExtismSettings.parseConfig(List.of("novalue"))).hasMessageContaining("KEY=VALUE");
        assertThatThrownBy(() -> new ExtismSettings(" ", Map.of())).isInstanceOf(DeployException.class)
                .hasMessageContaining("extism_function");
    }

    // ------------------------------------------------------------------ the contract

    private static final FunctionType I64_TO_I64 = new FunctionType(List.of(ValueType.I64), List.of(ValueType.I64));

    private static WasmModule module(List<ImportDescriptor> imports, List<ExportDescriptor> exports) {
        return WasiContractTest.module(imports, exports);
    }

    private static final List<ExportDescriptor> PLUGIN_EXPORTS = List.of(
            new ExportDescriptor("memory", ExternKind.MEMORY, null),
            new ExportDescriptor("count", ExternKind.FUNCTION, new FunctionType(List.of(), List.of(ValueType.I32))),
            new ExportDescriptor("helper", ExternKind.FUNCTION, I64_TO_I64));

    private static final ImportDescriptor ALLOC = new ImportDescriptor("extism:host/env", "alloc", ExternKind.FUNCTION, I64_TO_I64);

    @Test
    void aPluginWithoutTheFlagIsRefusedNamingTheFlagAndItsFunctions() {
        WasmModule m = module(List.of(ALLOC), PLUGIN_EXPORTS);
        assertThatThrownBy(() -> AbiContract.check(m, null)).isInstanceOf(DeployException.class)
                .hasMessageContaining("Extism plugin").hasMessageContaining("--extism-function")
                .hasMessageContaining("count").hasMessageContaining("helper (not callable by Extism");
        assertThat(AbiContract.problems(m, null)).hasSize(1);
    }

    @Test
    void aPluginWithTheFlagIsCheckedAsAPlugin() {
        WasmModule m = module(List.of(ALLOC), PLUGIN_EXPORTS);
        assertThat(AbiContract.extismProblems(m, false, "count")).isEmpty();
        assertThat(AbiContract.extismProblems(m, false, "missing")).singleElement().asString()
                .contains("exports no function of that name").contains("count");
        assertThat(AbiContract.extismProblems(m, false, "helper")).singleElement().asString().contains("takes nothing");
        WasmModule odd = module(List.of(
                new ImportDescriptor("extism:host/env", "alloc", ExternKind.FUNCTION, new FunctionType(List.of(ValueType.I32), List.of(ValueType.I32))),
                new ImportDescriptor("extism:host/env", "teleport", ExternKind.FUNCTION, I64_TO_I64),
                new ImportDescriptor("extism:host/user", "mine", ExternKind.FUNCTION, I64_TO_I64),
                new ImportDescriptor("wasi_snapshot_preview1", "fd_write", ExternKind.FUNCTION,
                        new FunctionType(List.of(ValueType.I32, ValueType.I32, ValueType.I32, ValueType.I32), List.of(ValueType.I32)))),
                List.of(PLUGIN_EXPORTS.get(1)));
        List<String> problems = AbiContract.extismProblems(odd, false, "count");
        assertThat(problems).hasSize(5);
        assertThat(String.join("\n", problems)).contains("'memory'").contains("extism:host/env.alloc' has signature")
                .contains("teleport").contains("extism:host/user.mine").contains("deploy with --wasi");
        assertThat(AbiContract.extismProblems(odd, true, "count")).hasSize(4);
    }

    @Test
    void aBlockFreedOrResetIsNeverReachedAgainThroughTheLastAccess() {
        kernel.begin(new byte[0]);
        long a = store("abcdefgh");
        assertThat(call("load_u64", a)).isEqualTo(0x6867666564636261L);
        // The last load landed in this block; once it is freed, the same address is a fault.
        call("free", a);
        assertThatThrownBy(() -> call("load_u8", a)).hasMessageContaining("load_u8 at offset " + a);
        assertThatThrownBy(() -> call("store_u64", a, 1)).hasMessageContaining("store_u64 at offset " + a);

        long b = store("12345678");
        assertThat(call("load_u8", b + 7)).isEqualTo('8');
        call("reset");
        assertThatThrownBy(() -> call("load_u8", b)).hasMessageContaining("not inside an allocated block");

        // A new call forgets the old call's blocks, however the last access found them.
        long c = store("zz");
        assertThat(call("load_u8", c + 1)).isEqualTo('z');
        kernel.end();
        kernel.begin(new byte[0]);
        assertThatThrownBy(() -> call("load_u8", c)).hasMessageContaining("not inside an allocated block");
        // An access past the end of the block the last one landed in is still refused.
        long d = store("four");
        assertThat(call("load_u8", d)).isEqualTo('f');
        assertThatThrownBy(() -> call("load_u64", d)).hasMessageContaining("load_u64 at offset " + d);
    }

    @Test
    void anInputHandedOverIsReadAsGiven() {
        byte[] in = "handed".getBytes(StandardCharsets.UTF_8);
        kernel.beginOwned(in);
        assertThat(call("input_length")).isEqualTo(6);
        assertThat(load(call("input_offset"))).isEqualTo("handed");
        kernel.end();
        assertThat(call("input_length")).isZero();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
