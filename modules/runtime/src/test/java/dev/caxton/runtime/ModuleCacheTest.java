package dev.caxton.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.engine.WasmModule;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The module cache tells its listener (the instance pool) of every module it lets go. */
class ModuleCacheTest {

    /** A module of its own identity; the cache never calls it. */
    private static WasmModule module() {
        return (WasmModule) Proxy.newProxyInstance(WasmModule.class.getClassLoader(), new Class<?>[] {WasmModule.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "module@" + System.identityHashCode(proxy);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void theLeastRecentlyUsedModuleIsEvictedAndReported() {
        List<WasmModule> evicted = new ArrayList<>();
        ModuleCache cache = new ModuleCache(2, evicted::add);
        WasmModule a = module();
        WasmModule b = module();
        WasmModule c = module();
        cache.put("a", a);
        cache.put("b", b);
        assertThat(cache.get("a")).isSameAs(a);
        cache.put("c", c);
        assertThat(evicted).containsExactly(b);
        assertThat(cache.get("b")).isNull();
    }

    @Test
    void aModuleReplacedUnderItsKeyIsReportedToo() {
        List<WasmModule> evicted = new ArrayList<>();
        ModuleCache cache = new ModuleCache(2, evicted::add);
        WasmModule first = module();
        cache.put("k", first);
        cache.put("k", first);
        assertThat(evicted).isEmpty();
        cache.put("k", module());
        assertThat(evicted).containsExactly(first);
    }
}
