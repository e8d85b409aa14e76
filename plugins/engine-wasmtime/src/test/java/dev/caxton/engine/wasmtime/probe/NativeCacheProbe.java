package dev.caxton.engine.wasmtime.probe;

import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.engine.Imports;
import dev.caxton.spi.engine.InstanceLimits;
import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmEngineProvider;
import dev.caxton.spi.engine.WasmInstance;
import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * Run in a fresh JVM by {@code NativeLibraryTest}: finds the engine through {@link ServiceLoader} (so
 * it works with the plugin on the class path or as a module), creates it on the data directory
 * given as the argument, runs a tiny module and prints its answer and the module the provider came
 * from, so the test can see which files that left behind and what the JVM printed. It lives in a
 * package of its own because the plugin's package belongs to the plugin's module when that is on
 * the module path.
 */
public final class NativeCacheProbe {

    /** A module exporting {@code answer: () -> i32} returning 42, assembled by hand to need no tools. */
    private static final byte[] ANSWER = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
        0x03, 0x02, 0x01, 0x00,
        0x07, 0x0a, 0x01, 0x06, 'a', 'n', 's', 'w', 'e', 'r', 0x00, 0x00,
        0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b
    };

    private NativeCacheProbe() {
    }

    /**
     * @param args the data directory
     */
    public static void main(String[] args) {
        WasmEngineProvider provider = ServiceLoader.load(WasmEngineProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("wasmtime"))
                .findFirst()
                .orElseThrow();
        try (WasmEngine engine = provider.create(ProviderContext.of(ProviderConfig.empty(), Path.of(args[0])));
             WasmInstance inst = engine.compile(ANSWER).instantiate(Imports.NONE, InstanceLimits.UNLIMITED)) {
            Module m = provider.getClass().getModule();
            System.out.println("answer " + inst.call("answer")[0] + " from "
                    + (m.isNamed() ? "module " + m.getName() : "the class path"));
        }
    }
}
