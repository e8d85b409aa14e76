package dev.caxton.testkit.engine;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.EngineFeatures;
import dev.caxton.spi.engine.ExportDescriptor;
import dev.caxton.spi.engine.ExternKind;
import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.ImportDescriptor;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmCompileException;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmException;
import dev.caxton.spi.engine.WasmInstance;
import dev.caxton.spi.engine.WasmLinkException;
import dev.caxton.spi.engine.WasmModule;
import dev.caxton.spi.engine.WasmTrapException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An engine that runs scripted "modules" written in Java instead of WebAssembly, for unit tests of
 * code that drives a {@link WasmEngine} (a host ABI, an agent lifecycle) without compiling WAT. It
 * is not a WebAssembly engine and does not run {@link EngineConformance}; use Chicory for that.
 *
 * <p>A test defines a module with {@link #define}, which returns the bytes that stand for it;
 * {@code compile} of those bytes (on any engine of this provider) gives a module whose exports are
 * the script's Java functions, whose imports are checked against the host functions at
 * instantiation like a real engine's, and whose linear memory is a plain byte array bounded by the
 * instance's memory limit. An exception thrown by a script function becomes a
 * {@link WasmTrapException}, as a trap would.
 *
 * <pre>{@code
 * FakeEngineProvider engines = new FakeEngineProvider();
 * FunctionType log = FunctionType.of(List.of(I32, I32, I32), List.of());
 * byte[] module = engines.define("hello", FakeEngineProvider.Script.builder()
 *         .memoryPages(1)
 *         .imports("caxton", "log", log)
 *         .function("run", FunctionType.of(List.of(), List.of()), (call, args) -> {
 *             call.memory().write(0, "hi".getBytes());
 *             return call.host("caxton", "log", 2, 0, 2);
 *         })
 *         .build());
 * }</pre>
 */
public final class FakeEngineProvider implements WasmEngineProvider {

    /** The provider name. */
    public static final String NAME = "fake";

    private static final String PREFIX = "caxton-fake-module:";

    private final Map<String, Script> scripts = new ConcurrentHashMap<>();

    /** Creates a provider with no modules defined. */
    public FakeEngineProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Scripted modules in Java instead of WebAssembly, for tests (testkit fake)";
    }

    /**
     * Defines (or redefines) a module.
     *
     * @param name   a name for the module, unique within this provider
     * @param script what the module does
     * @return the bytes that stand for the module: what the code under test deploys or compiles
     */
    public byte[] define(String name, Script script) {
        scripts.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(script, "script"));
        return (PREFIX + name).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public WasmEngine create(ProviderContext context) {
        Objects.requireNonNull(context, "context");
        return new WasmEngine() {
            @Override
            public EngineFeatures features() {
                return new EngineFeatures(false, false, "scripted fake engine (testkit): no fuel, no time limit");
            }

            @Override
            public WasmModule compile(byte[] wasm) {
                String text = new String(Objects.requireNonNull(wasm, "wasm"), StandardCharsets.UTF_8);
                Script s = text.startsWith(PREFIX) ? scripts.get(text.substring(PREFIX.length())) : null;
                if (s == null) {
                    throw new WasmCompileException("not a module defined with FakeEngineProvider.define ("
                            + wasm.length + " bytes)");
                }
                return new FakeModule(s);
            }

            @Override
            public void close() {
            }
        };
    }

    /** A script function: the body of one export. */
    @FunctionalInterface
    public interface Export {
        /**
         * Runs the export.
         *
         * @param call the instance's memory and host functions
         * @param args the arguments, as the SPI passes them
         * @return the results
         */
        long[] call(Call call, long[] args);
    }

    /** What a script function can reach while it runs. */
    public interface Call {
        /**
         * The instance's linear memory.
         *
         * @return the memory
         */
        GuestMemory memory();

        /**
         * Calls an imported host function.
         *
         * @param module the import's module
         * @param name   the import's name
         * @param args   the arguments
         * @return its results
         */
        long[] host(String module, String name, long... args);
    }

    /**
     * A scripted module: its memory size, imports, exported functions and globals.
     *
     * @param memoryPages the initial memory in 64 KiB pages (0: no memory)
     * @param imports     the host functions it imports
     * @param functions   its exported functions
     * @param types       the types of its exported functions
     * @param globals     its exported globals and their values
     */
    public record Script(int memoryPages, List<ImportDescriptor> imports, Map<String, Export> functions,
                         Map<String, FunctionType> types, Map<String, Long> globals) {

        /**
         * A builder.
         *
         * @return an empty builder
         */
        public static Builder builder() {
            return new Builder();
        }

        /** Builds a {@link Script}. */
        public static final class Builder {
            private int pages;
            private final List<ImportDescriptor> imports = new ArrayList<>();
            private final Map<String, Export> functions = new LinkedHashMap<>();
            private final Map<String, FunctionType> types = new LinkedHashMap<>();
            private final Map<String, Long> globals = new LinkedHashMap<>();

            private Builder() {
            }

            /**
             * Sets the initial memory.
             *
             * @param n pages of 64 KiB
             * @return this builder
             */
            public Builder memoryPages(int n) {
                pages = n;
                return this;
            }

            /**
             * Declares an imported host function.
             *
             * @param module its module
             * @param name   its name
             * @param type   its type
             * @return this builder
             */
            public Builder imports(String module, String name, FunctionType type) {
                imports.add(new ImportDescriptor(module, name, ExternKind.FUNCTION, type));
                return this;
            }

            /**
             * Adds an exported function.
             *
             * @param name its name
             * @param type its type
             * @param body what it does
             * @return this builder
             */
            public Builder function(String name, FunctionType type, Export body) {
                functions.put(name, body);
                types.put(name, type);
                return this;
            }

            /**
             * Adds an exported global.
             *
             * @param name  its name
             * @param value its value
             * @return this builder
             */
            public Builder global(String name, long value) {
                globals.put(name, value);
                return this;
            }

            /**
             * Builds the script.
             *
             * @return the script
             */
            public Script build() {
                return new Script(pages, List.copyOf(imports), Map.copyOf(functions), Map.copyOf(types), Map.copyOf(globals));
            }
        }
    }

    private record FakeModule(Script script) implements WasmModule {
        @Override
        public List<ImportDescriptor> imports() {
            return script.imports();
        }

        @Override
        public List<ExportDescriptor> exports() {
            List<ExportDescriptor> out = new ArrayList<>();
            script.types().forEach((name, type) -> out.add(new ExportDescriptor(name, ExternKind.FUNCTION, type)));
            if (script.memoryPages() > 0) {
                out.add(new ExportDescriptor("memory", ExternKind.MEMORY, null));
            }
            script.globals().keySet().forEach(g -> out.add(new ExportDescriptor(g, ExternKind.GLOBAL, null)));
            return out;
        }

        @Override
        public WasmInstance instantiate(Imports imports, InstanceLimits limits) {
            Map<String, HostFunction> host = new LinkedHashMap<>();
            for (ImportDescriptor wanted : script.imports()) {
                HostFunction f = imports.functions().stream()
                        .filter(h -> h.module().equals(wanted.module()) && h.name().equals(wanted.name()))
                        .findFirst()
                        .orElseThrow(() -> new WasmLinkException("unknown import " + wanted));
                if (!f.type().equals(wanted.type())) {
                    throw new WasmLinkException("import " + wanted + " is given with type " + f.type());
                }
                host.put(wanted.module() + "." + wanted.name(), f);
            }
            if (script.memoryPages() > limits.maxPages()) {
                throw new WasmLinkException("the module's memory of " + script.memoryPages()
                        + " pages is over the limit of " + limits.maxPages());
            }
            return new FakeInstance(script, host, limits.maxPages());
        }
    }

    private static final class FakeInstance implements WasmInstance, Call {
        private final Script script;
        private final Map<String, HostFunction> host;
        private final Memory memory;
        private volatile boolean closed;

        FakeInstance(Script script, Map<String, HostFunction> host, int maxPages) {
            this.script = script;
            this.host = host;
            this.memory = new Memory(script.memoryPages(), maxPages);
        }

        @Override
        public Optional<FunctionType> exportedFunction(String name) {
            return Optional.ofNullable(script.types().get(name));
        }

        @Override
        public long[] call(String name, long... args) {
            if (closed) {
                throw new IllegalStateException("the instance is closed");
            }
            Export body = script.functions().get(name);
            if (body == null) {
                throw new WasmLinkException("the module exports no function '" + name + "'");
            }
            try {
                return body.call(this, args);
            } catch (WasmException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new WasmTrapException("call to '" + name + "' trapped: " + e.getMessage(), e);
            }
        }

        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public long[] host(String module, String name, long... args) {
            HostFunction f = host.get(module + "." + name);
            if (f == null) {
                throw new WasmLinkException("the script calls " + module + "." + name + ", which it does not import");
            }
            return f.body().call(memory, args);
        }

        @Override
        public long global(String name) {
            Long v = script.globals().get(name);
            if (v == null) {
                throw new WasmLinkException("the module exports no global '" + name + "'");
            }
            return v;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Linear memory as a byte array that grows by whole pages up to the instance's limit. */
    private static final class Memory implements GuestMemory {
        private final int maxPages;
        private byte[] bytes;

        Memory(int pages, int maxPages) {
            this.maxPages = maxPages;
            this.bytes = new byte[Math.multiplyExact(pages, (int) InstanceLimits.PAGE_SIZE)];
        }

        @Override
        public synchronized long size() {
            return bytes.length;
        }

        @Override
        public synchronized byte[] read(long address, int length) {
            checkBounds(address, length);
            byte[] out = new byte[length];
            System.arraycopy(bytes, (int) address, out, 0, length);
            return out;
        }

        @Override
        public synchronized void write(long address, byte[] data) {
            checkBounds(address, data.length);
            System.arraycopy(data, 0, bytes, (int) address, data.length);
        }

        @Override
        public synchronized long grow(long pages) {
            long old = bytes.length / InstanceLimits.PAGE_SIZE;
            // A Java array ends below 2 GiB: the fake stops there even when the limit is higher.
            if (pages < 0 || old + pages > maxPages || (old + pages) * InstanceLimits.PAGE_SIZE > Integer.MAX_VALUE - 8) {
                return -1;
            }
            byte[] bigger = new byte[(int) ((old + pages) * InstanceLimits.PAGE_SIZE)];
            System.arraycopy(bytes, 0, bigger, 0, bytes.length);
            bytes = bigger;
            return old;
        }
    }
}
