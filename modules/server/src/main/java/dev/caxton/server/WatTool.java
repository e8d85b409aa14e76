package dev.caxton.server;

import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Compiles WebAssembly text for deployments that send WAT. The compiler (wabt, run as WebAssembly
 * on Chicory) is an optional tool: on the class path it is used directly; in the distribution it
 * lives in {@code tools/wat/} beside the image and is loaded as a module layer of its own, because
 * its jars are automatic modules that jlink refuses. Without it, WAT deployments are refused with a
 * message that says so.
 */
final class WatTool {

    private static final String CLASS = "com.dylibso.chicory.wabt.Wat2Wasm";

    private final Method parse;

    private WatTool(Method parse) {
        this.parse = parse;
    }

    static Optional<WatTool> find(Path home) {
        try {
            Class<?> c = Class.forName(CLASS, true, WatTool.class.getClassLoader());
            return Optional.of(new WatTool(c.getMethod("parse", String.class)));
        } catch (ReflectiveOperationException | LinkageError e) {
            // not on the class path: try the tools folder
        }
        if (home == null) {
            return Optional.empty();
        }
        Path dir = home.resolve("tools").resolve("wat");
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try {
            ModuleFinder finder = ModuleFinder.of(dir);
            ModuleLayer boot = ModuleLayer.boot();
            List<String> roots = finder.findAll().stream().map(ModuleReference::descriptor)
                    .map(d -> d.name()).filter(n -> boot.findModule(n).isEmpty()).collect(Collectors.toList());
            Configuration cf = boot.configuration().resolve(ModuleFinder.of(), finder, roots);
            ModuleLayer layer = boot.defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
            Class<?> c = layer.findLoader(layer.modules().iterator().next().getName()).loadClass(CLASS);
            return Optional.of(new WatTool(c.getMethod("parse", String.class)));
        } catch (ReflectiveOperationException | RuntimeException e) {
            System.getLogger(WatTool.class.getName()).log(System.Logger.Level.WARNING,
                    "the WAT compiler in {0} could not be loaded: {1}", dir, e.toString());
            return Optional.empty();
        }
    }

    byte[] compile(String wat) {
        try {
            return (byte[]) parse.invoke(null, wat);
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException("the WAT text does not compile (wat2wasm: "
                    + e.getCause().getMessage() + "); check it with wat2wasm for the exact line", e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("the WAT compiler cannot be called: " + e, e);
        }
    }
}
