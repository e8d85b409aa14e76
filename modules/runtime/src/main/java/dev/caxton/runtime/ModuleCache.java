package dev.caxton.runtime;

import dev.caxton.spi.engine.WasmEngine;
import dev.caxton.spi.engine.WasmModule;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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

    ModuleCache(int capacity) {
        this.capacity = capacity;
        this.modules = new LinkedHashMap<>(16, 0.75f, true);
    }

    synchronized WasmModule get(String key) {
        return modules.get(key);
    }

    synchronized void put(String key, WasmModule module) {
        if (capacity == 0) {
            return;
        }
        modules.put(key, module);
        while (modules.size() > capacity) {
            modules.remove(modules.keySet().iterator().next());
        }
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
