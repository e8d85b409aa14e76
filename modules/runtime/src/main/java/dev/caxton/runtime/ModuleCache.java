package dev.caxton.runtime;

import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmModule;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compiled modules by engine and content hash, least recently used evicted first. Compiling is the
 * expensive step of a deploy (hundreds of milliseconds with Chicory's compiler); a module deployed
 * again, or under another name, reuses the compiled form.
 */
final class ModuleCache {

    private final int capacity;
    private final Map<String, WasmModule> modules;
    // Told of each module the cache lets go, so what was made from it (pooled instances) goes too.
    private final Consumer<WasmModule> evicted;

    ModuleCache(int capacity) {
        this(capacity, m -> { });
    }

    ModuleCache(int capacity, Consumer<WasmModule> evicted) {
        this.capacity = capacity;
        this.modules = new LinkedHashMap<>(16, 0.75f, true);
        this.evicted = evicted;
    }

    synchronized WasmModule get(String key) {
        return modules.get(key);
    }

    void put(String key, WasmModule module) {
        List<WasmModule> gone = new ArrayList<>();
        synchronized (this) {
            if (capacity == 0) {
                return;
            }
            WasmModule replaced = modules.put(key, module);
            if (replaced != null && replaced != module) {
                gone.add(replaced);
            }
            while (modules.size() > capacity) {
                gone.add(modules.remove(modules.keySet().iterator().next()));
            }
        }
        // Outside the lock: the listener takes its own.
        gone.forEach(evicted);
    }

    WasmModule compile(String engineName, WasmEngine engine, byte[] bytes) {
        String key = engineName + ":" + sha256(bytes);
        WasmModule m = get(key);
        if (m == null) {
            m = engine.compile(bytes);
            put(key, m);
        }
        return m;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
