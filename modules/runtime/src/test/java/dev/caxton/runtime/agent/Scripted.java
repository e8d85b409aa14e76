package dev.caxton.runtime.agent;

import dev.caxton.runtime.api.AgentState;

import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.MemoryAccessException;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmModule;

import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/** Parts of the scripted stand-ins for WebAssembly modules that the agent tests share. */
final class Scripted {

    private Scripted() {
    }

    /**
     * A module with no declared imports or exports whose instances the function makes.
     *
     * @param instances makes an instance from the host functions it gets
     * @return the module
     */
    static WasmModule module(Function<Imports, WasmInstance> instances) {
        return module((imports, limits) -> instances.apply(imports));
    }

    /**
     * A module with no declared imports or exports whose instances the function makes, given the
     * limits too.
     *
     * @param instances makes an instance from the host functions and limits it gets
     * @return the module
     */
    static WasmModule module(BiFunction<Imports, InstanceLimits, WasmInstance> instances) {
        return new WasmModule() {
            @Override
            public List<ImportDescriptor> imports() {
                return List.of();
            }

            @Override
            public List<ExportDescriptor> exports() {
                return List.of();
            }

            @Override
            public WasmInstance instantiate(Imports imports, InstanceLimits limits) {
                return instances.apply(imports, limits);
            }
        };
    }

    /**
     * Calls the {@code register_capability} the instance was linked with, the name written at
     * address 0 of its memory, as a guest's init would.
     *
     * @return the host's answer
     */
    static int registerCapability(Imports imports, GuestMemory memory, String capability) {
        HostFunction register = imports.functions().stream()
                .filter(f -> f.name().equals(AbiContract.REGISTER_CAPABILITY)).findFirst().orElseThrow();
        byte[] bytes = capability.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        memory.write(0, bytes);
        return (int) register.body().call(memory, new long[] {0, bytes.length})[0];
    }

    /**
     * The exports of a guest whose only function besides memory is {@code init() -> i32}.
     *
     * @param name an export name
     * @return init's type for init, nothing otherwise
     */
    static java.util.Optional<dev.caxton.spi.engine.FunctionType> initOnly(String name) {
        return name.equals(AbiContract.INIT) ? java.util.Optional.of(new dev.caxton.spi.engine.FunctionType(List.of(),
                List.of(dev.caxton.spi.engine.ValueType.I32))) : java.util.Optional.empty();
    }

    /**
     * The exports of a guest with the message ABI's two functions and nothing else:
     * {@code alloc} and {@code handle_message}, both typed {@code (i32, i32) -> i64} as the scripted
     * guests answer them.
     *
     * @param name an export name
     * @return the type for those two, nothing otherwise
     */
    static java.util.Optional<dev.caxton.spi.engine.FunctionType> messageAbiOnly(String name) {
        return name.equals(AbiContract.ALLOC) || name.equals(AbiContract.HANDLE_MESSAGE)
                ? java.util.Optional.of(new dev.caxton.spi.engine.FunctionType(
                        List.of(dev.caxton.spi.engine.ValueType.I32, dev.caxton.spi.engine.ValueType.I32),
                        List.of(dev.caxton.spi.engine.ValueType.I64)))
                : java.util.Optional.empty();
    }

    /**
     * The context the agent tests with a scripted JSON guest share: 100 messages per priority
     * class, a 1 MiB message bound, generous time limits.
     *
     * @param router      the router the agent sends through
     * @param deadLetters where its dead letters go
     * @return the context
     */
    static Agent.Context context(dev.caxton.runtime.routing.Router router,
                                 dev.caxton.runtime.routing.DeadLetterSink deadLetters) {
        List<dev.caxton.runtime.routing.Mailbox.ClassPolicy> policy = Arrays.stream(dev.caxton.spi.message.Priority.values())
                .map(p -> new dev.caxton.runtime.routing.Mailbox.ClassPolicy(100, java.time.Duration.ofSeconds(1))).toList();
        return new Agent.Context(router, deadLetters, quietEvents(), 1 << 20, 100, java.time.Duration.ofMinutes(1), policy,
                10, java.time.Duration.ofMinutes(1), 1000, 1000, 64);
    }

    /**
     * Scripted code speaking JSON, 1 MiB of memory and a 5 s time limit.
     *
     * @param instances makes an instance from the host functions it gets
     * @return the code
     */
    static Agent.Code jsonCode(Function<Imports, WasmInstance> instances) {
        return new Agent.Code(module(instances), new byte[0], new dev.caxton.runtime.cluster.JsonWire(), "scripted",
                new dev.caxton.runtime.api.AgentLimits(1 << 20, java.time.Duration.ofSeconds(5), 0), null);
    }

    /** Agent events nobody listens to. */
    static AgentEvents quietEvents() {
        return new AgentEvents() {
            @Override
            public void stateChanged(Agent a, AgentState state) {
            }

            @Override
            public void faulted(Agent a, String reason) {
            }
        };
    }

    /** A scripted instance with a fixed memory, no globals, and nothing to close. */
    abstract static class Instance implements WasmInstance {
        protected final Memory memory;

        Instance(int memoryBytes) {
            this.memory = new Memory(memoryBytes);
        }

        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public long global(String name) {
            throw new IllegalArgumentException(name);
        }

        @Override
        public void close() {
        }
    }

    /** A fixed-size linear memory that checks bounds as an engine's does. */
    static final class Memory implements GuestMemory {
        private final byte[] bytes;

        Memory(int size) {
            this.bytes = new byte[size];
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public byte[] read(long address, int length) {
            checkBounds(address, length);
            return Arrays.copyOfRange(bytes, (int) address, (int) address + length);
        }

        @Override
        public void write(long address, byte[] data) {
            if (address + data.length > bytes.length) {
                throw new MemoryAccessException(address, data.length, bytes.length);
            }
            System.arraycopy(data, 0, bytes, (int) address, data.length);
        }
    }
}
