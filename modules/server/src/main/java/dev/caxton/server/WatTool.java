package dev.caxton.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
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
    /** The name the WAT text goes by in the compiler's messages, so they read {@code wat_module.wat:3:14: error: ...}. */
    static final String FILE_NAME = "wat_module.wat";
    private static final byte[] MAGIC = {0, 'a', 's', 'm'};
    // Colours and other terminal controls wabt adds when it believes it writes to a terminal.
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[ -/]*[@-~]");
    private static final int MAX_MESSAGE = 2000;

    private final ClassLoader loader;

    private WatTool(ClassLoader loader) {
        this.loader = loader;
    }

    static Optional<WatTool> find(Path home) {
        try {
            Class<?> c = Class.forName(CLASS, true, WatTool.class.getClassLoader());
            return Optional.of(new WatTool(c.getClassLoader()));
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
            ClassLoader loader = layer.findLoader(layer.modules().iterator().next().getName());
            loader.loadClass(CLASS);
            return Optional.of(new WatTool(loader));
        } catch (ReflectiveOperationException | RuntimeException e) {
            System.getLogger(WatTool.class.getName()).log(System.Logger.Level.WARNING,
                    "the WAT compiler in {0} could not be loaded: {1}", dir, e.toString());
            return Optional.empty();
        }
    }

    /**
     * Compiles WAT text.
     *
     * <p>wabt's own {@code Wat2Wasm.parse} writes the compiler's standard output and error into one
     * buffer and drops the error text when the compiler exits non-zero, so a failure said nothing
     * and a warning's (coloured) text was taken as the start of the module. Here the compiler runs
     * with separate streams, its exit status decides, and its message is passed on with its line
     * and column, colour codes removed.
     *
     * @param wat the module text
     * @return the binary module
     * @throws IllegalArgumentException with the compiler's message when the text does not compile
     */
    byte[] compile(String wat) {
        if (wat.isBlank()) {
            throw new IllegalArgumentException("the WAT text is empty (" + FILE_NAME + ":1:1): a module needs at least"
                    + " '(module ...)' with the exports the ABI requires");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        Path dir = null;
        try {
            dir = Files.createTempDirectory("caxton-wat");
            Files.writeString(dir.resolve(FILE_NAME), wat, StandardCharsets.UTF_8);
            status = run(dir, out, err);
        } catch (IOException e) {
            throw new IllegalStateException("the WAT compiler cannot run: " + e.getMessage(), e);
        } finally {
            deleteQuietly(dir);
        }
        String message = clean(err.toString(StandardCharsets.UTF_8));
        if (status != 0) {
            throw new IllegalArgumentException("the WAT text does not compile: "
                    + (message.isEmpty() ? "wat2wasm exited with status " + status + " and no message" : message));
        }
        byte[] module = out.toByteArray();
        if (module.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(module, MAGIC.length), MAGIC)) {
            throw new IllegalArgumentException("the WAT compiler produced no module"
                    + (message.isEmpty() ? "" : ": " + message));
        }
        return module;
    }

    /** Runs wat2wasm (a WASI program) on the file in {@code dir}; returns its exit status. */
    private int run(Path dir, ByteArrayOutputStream out, ByteArrayOutputStream err) {
        try {
            Class<?> optionsClass = loader.loadClass("com.dylibso.chicory.wasi.WasiOptions");
            Object ob = optionsClass.getMethod("builder").invoke(null);
            Class<?> obc = ob.getClass();
            ob = obc.getMethod("withStdout", OutputStream.class).invoke(ob, out);
            ob = obc.getMethod("withStderr", OutputStream.class).invoke(ob, err);
            ob = obc.getMethod("withDirectory", String.class, Path.class).invoke(ob, dir.toString(), dir);
            ob = obc.getMethod("withArguments", List.class).invoke(ob,
                    List.of("wat2wasm", dir.resolve(FILE_NAME).toString(), "--output=-"));
            Object options = obc.getMethod("build").invoke(ob);

            Class<?> wasiClass = loader.loadClass("com.dylibso.chicory.wasi.WasiPreview1");
            Object wb = wasiClass.getMethod("builder").invoke(null);
            wb = wb.getClass().getMethod("withOptions", optionsClass).invoke(wb, options);
            Object wasi = wb.getClass().getMethod("build").invoke(wb);
            try {
                Object functions = wasiClass.getMethod("toHostFunctions").invoke(wasi);
                Class<?> importFunction = loader.loadClass("com.dylibso.chicory.runtime.ImportFunction");
                Class<?> importValues = loader.loadClass("com.dylibso.chicory.runtime.ImportValues");
                Object ib = importValues.getMethod("builder").invoke(null);
                Object[] fns = (Object[]) functions;
                Object typed = java.lang.reflect.Array.newInstance(importFunction, fns.length);
                System.arraycopy(fns, 0, typed, 0, fns.length);
                ib = ib.getClass().getMethod("addFunction", typed.getClass()).invoke(ib, typed);
                Object imports = ib.getClass().getMethod("build").invoke(ib);

                Class<?> wabtModule = loader.loadClass("com.dylibso.chicory.wabt.Wat2WasmModule");
                Object module = wabtModule.getMethod("load").invoke(null);
                Class<?> instanceClass = loader.loadClass("com.dylibso.chicory.runtime.Instance");
                Method create = wabtModule.getMethod("create", instanceClass);
                Function<Object, Object> machines = inst -> {
                    try {
                        return create.invoke(null, inst);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                };
                Class<?> wasmModule = loader.loadClass("com.dylibso.chicory.wasm.WasmModule");
                Object b = instanceClass.getMethod("builder", wasmModule).invoke(null, module);
                b = b.getClass().getMethod("withMachineFactory", Function.class).invoke(b, machines);
                b = b.getClass().getMethod("withImportValues", importValues).invoke(b, imports);
                try {
                    // Building the instance runs the program's _start, i.e. the whole compilation.
                    b.getClass().getMethod("build").invoke(b);
                } catch (InvocationTargetException e) {
                    Throwable cause = e.getCause();
                    if (cause != null && cause.getClass().getName().equals("com.dylibso.chicory.wasi.WasiExitException")) {
                        return (int) cause.getClass().getMethod("exitCode").invoke(cause);
                    }
                    throw new IllegalArgumentException("the WAT compiler failed: " + cause, cause);
                }
                return 0;
            } finally {
                if (wasi instanceof AutoCloseable c) {
                    c.close();
                }
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("the WAT compiler cannot be called: " + e, e);
        }
    }

    /** The compiler's message without colour codes and the temporary directory, cut to a readable size. */
    private static String clean(String raw) {
        String s = ANSI.matcher(raw).replaceAll("").strip();
        s = s.replaceAll("\\S*/" + Pattern.quote(FILE_NAME), FILE_NAME);
        return s.length() > MAX_MESSAGE ? s.substring(0, MAX_MESSAGE) + "..." : s;
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a temporary file left behind is harmless
        }
    }
}
