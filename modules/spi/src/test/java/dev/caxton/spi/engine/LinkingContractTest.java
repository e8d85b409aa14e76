package dev.caxton.spi.engine;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SPI 1.2 narrows what an engine must do to what the runtime uses: an instance that implements only
 * the methods agents need is a complete {@link WasmInstance}, and linking beyond host functions is
 * the optional {@link LinkingEngine}.
 */
class LinkingContractTest {

    /** An instance of an engine that links host functions only: no {@code global(String)} of its own. */
    private static final class FunctionsOnlyInstance implements WasmInstance {
        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return Optional.empty();
        }

        @Override
        public long[] call(String name, long... args) {
            return new long[0];
        }

        @Override
        public GuestMemory memory() {
            throw new IllegalStateException("no memory");
        }

        @Override
        public void close() {
        }
    }

    @Test
    void anInstanceNeedNotReadGlobalsByNameAndSaysWhereThatLives() {
        try (WasmInstance inst = new FunctionsOnlyInstance()) {
            assertThatThrownBy(() -> inst.global("count"))
                    .isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("'count'")
                    .hasMessageContaining("LinkingEngine");
        }
    }

    @Test
    void importsSayWhetherTheyAreHostFunctionsOnly() {
        HostFunction f = new HostFunction("env", "f", new FunctionType(List.of(), List.of()), (caller, args) -> new long[0]);
        assertThat(Imports.NONE.hostFunctionsOnly()).isTrue();
        assertThat(Imports.of(List.of(f)).hostFunctionsOnly()).isTrue();
        assertThat(Imports.builder().function(f).global(new HostGlobal("env", "g", ValueType.I32, 1, false)).build()
                .hostFunctionsOnly()).isFalse();
        assertThat(Imports.builder().memory(new HostMemory("env", "memory", 1, 2)).build().hostFunctionsOnly()).isFalse();
        assertThat(Imports.builder().table(new HostTable("env", "table", 1, 2)).build().hostFunctionsOnly()).isFalse();
        assertThat(new Imports(List.of(), List.of(), List.of(), List.of(), Map.of("a", new FunctionsOnlyInstance()))
                .hostFunctionsOnly()).isFalse();
    }

    @Test
    void linkingIsAnOptionalEngineInterface() {
        assertThat(WasmEngine.class.isAssignableFrom(LinkingEngine.class)).isTrue();
        assertThat(LinkingEngine.class.getDeclaredMethods()).as("a marker: nothing more to implement").isEmpty();
    }
}
