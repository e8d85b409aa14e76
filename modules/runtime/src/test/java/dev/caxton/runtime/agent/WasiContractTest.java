package dev.caxton.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.runtime.api.DeployException;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ABI's view of WASI modules: refused without {@code wasi} with a message naming the flag,
 * accepted with it, a command module's {@code _start} named; and a WASI agent's output as lines of
 * its log.
 */
class WasiContractTest {

    private static final FunctionType FD_WRITE = new FunctionType(
            List.of(ValueType.I32, ValueType.I32, ValueType.I32, ValueType.I32), List.of(ValueType.I32));

    static WasmModule module(List<ImportDescriptor> imports, List<ExportDescriptor> exports) {
        return new WasmModule() {
            @Override
            public List<ImportDescriptor> imports() {
                return imports;
            }

            @Override
            public List<ExportDescriptor> exports() {
                return exports;
            }

            @Override
            public WasmInstance instantiate(Imports i, InstanceLimits l) {
                // The contract is judged from imports and exports alone; nothing here runs a module.
                throw new UnsupportedOperationException("the ABI contract never instantiates");
            }
        };
    }

    private static final List<ExportDescriptor> AGENT_EXPORTS = List.of(
            new ExportDescriptor("memory", ExternKind.MEMORY, null),
            new ExportDescriptor("alloc", ExternKind.FUNCTION, new FunctionType(List.of(ValueType.I32), List.of(ValueType.I32))),
            new ExportDescriptor("handle_message", ExternKind.FUNCTION,
                    new FunctionType(List.of(ValueType.I32, ValueType.I32), List.of(ValueType.I64))));

    private static final ImportDescriptor WASI_WRITE =
            new ImportDescriptor("wasi_snapshot_preview1", "fd_write", ExternKind.FUNCTION, FD_WRITE);

    @Test
    void withoutWasiTheImportIsRefusedNamingTheFlag() {
        WasmModule m = module(List.of(WASI_WRITE), AGENT_EXPORTS);
        assertThatThrownBy(() -> AbiContract.check(m, null))
                .isInstanceOf(DeployException.class)
                .hasMessageContaining("wasi_snapshot_preview1.fd_write")
                .hasMessageContaining("deploy with --wasi");
    }

    @Test
    void withWasiTheImportsAreAllowedButOtherModulesStillAreNot() {
        WasmModule m = module(List.of(WASI_WRITE), AGENT_EXPORTS);
        assertThat(AbiContract.problems(m, null, true)).isEmpty();
        WasmModule env = module(List.of(WASI_WRITE, new ImportDescriptor("env", "f", ExternKind.FUNCTION,
                new FunctionType(List.of(), List.of()))), AGENT_EXPORTS);
        assertThat(AbiContract.problems(env, null, true)).singleElement().asString().contains("Forbidden import: 'env.f'");
        WasmModule preview0 = module(List.of(new ImportDescriptor("wasi_unstable", "fd_write", ExternKind.FUNCTION, FD_WRITE)),
                AGENT_EXPORTS);
        assertThat(AbiContract.problems(preview0, null, true)).singleElement().asString().contains("only one --wasi offers");
    }

    @Test
    void aCommandModuleIsToldItsStartIsNotRun() {
        WasmModule command = module(List.of(WASI_WRITE), List.of(new ExportDescriptor("memory", ExternKind.MEMORY, null),
                new ExportDescriptor("_start", ExternKind.FUNCTION, new FunctionType(List.of(), List.of()))));
        assertThat(AbiContract.problems(command, null, true))
                .anySatisfy(p -> assertThat(p).contains("'_start'").contains("never runs").contains("-mexec-model=reactor"));
    }

    @Test
    void outputBecomesLinesOfTheLogCutAtTheLimit() {
        List<String> lines = new ArrayList<>();
        AgentLog log = new AgentLog((level, line) -> lines.add(level + " " + line), 1000, 1000, System::nanoTime);
        WasiOutput out = new WasiOutput(log, System.Logger.Level.INFO, 8);
        out.write("one\ntwo\r\nthr".getBytes(StandardCharsets.UTF_8), 0, 12);
        assertThat(lines).containsExactly("INFO one", "INFO two");
        out.flush();
        assertThat(lines).containsExactly("INFO one", "INFO two", "INFO thr");
        out.write("0123456789\n".getBytes(StandardCharsets.UTF_8), 0, 11);
        assertThat(lines).endsWith("INFO 01234567", "INFO 89");
        out.flush();
        assertThat(lines).hasSize(5);
    }
}
