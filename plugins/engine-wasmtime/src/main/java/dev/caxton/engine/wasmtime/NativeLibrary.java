package dev.caxton.engine.wasmtime;

import dev.caxton.spi.engine.WasmException;
import io.github.kawamuray.wasmtime.NativeLibraryLoader;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * Puts wasmtime-java's native library where it belongs: in a versioned folder of the node's data
 * directory, extracted once, and loaded from there.
 *
 * <p>Left alone, the binding copies its 18 MB library into the temporary directory under a new name
 * on every start and never removes it. It skips that when its loader's private {@code loaded} flag
 * is set, so this class loads the cached copy itself and then sets the flag. Loading from here
 * binds the library to this class's class loader, which is where the JVM looks for the binding's
 * native methods; both share a loader in a plugin layer and on the class path. If they do not, or
 * the flag cannot be set (another version of the binding), the binding is left to load its
 * library its own way, and a warning says so.
 */
final class NativeLibrary {

    private static final System.Logger LOG = System.getLogger(NativeLibrary.class.getName());

    private static String bindingVersion;
    /** Where the library was loaded from in this JVM, or a note that the binding loaded it; null before. */
    private static String loaded;

    private NativeLibrary() {
    }

    /**
     * The binding's version, from the properties file in its jar.
     *
     * @return e.g. {@code 0.19.0}
     * @throws WasmException when the jar has no such file
     */
    static synchronized String bindingVersion() {
        if (bindingVersion == null) {
            Properties p = new Properties();
            try (InputStream in = NativeLibraryLoader.class.getResourceAsStream("/wasmtime-java-meta.properties")) {
                if (in == null) {
                    throw new WasmException("the wasmtime-java jar has no wasmtime-java-meta.properties; is it a"
                            + " complete copy of the binding?");
                }
                p.load(in);
            } catch (IOException e) {
                throw new WasmException("cannot read wasmtime-java-meta.properties from the wasmtime-java jar: " + e, e);
            }
            String v = p.getProperty("jnilib.version");
            if (v == null || v.isBlank()) {
                throw new WasmException("wasmtime-java-meta.properties names no jnilib.version");
            }
            bindingVersion = v.trim();
        }
        return bindingVersion;
    }

    /**
     * Whether the binding's jar holds the library for a platform (it may have been stripped of
     * other platforms' libraries).
     *
     * @param platform the platform
     * @return whether the library is there
     */
    static boolean isBundled(Platform platform) {
        return NativeLibraryLoader.class.getResource("/" + platform.libraryFile(bindingVersion())) != null;
    }

    /**
     * Where the library is cached under a data directory.
     *
     * @param dataDir  the data directory
     * @param platform the platform
     * @return the library's path
     */
    static Path cachedPath(Path dataDir, Platform platform) {
        String version = bindingVersion();
        return dataDir.resolve("native").resolve("wasmtime-java-" + version).resolve(platform.libraryFile(version));
    }

    /**
     * Makes sure the data directory holds the library (extracting it when it is missing or of the
     * wrong size) and that this JVM has loaded the library.
     *
     * @param dataDir  the node's data directory
     * @param platform the platform (supported)
     * @return where the library was loaded from, for the engine's description
     * @throws WasmException when the library cannot be extracted or loaded
     */
    static synchronized String ensureLoaded(Path dataDir, Platform platform) {
        Path library = extract(dataDir, platform);
        if (loaded == null) {
            loaded = load(library);
        }
        return loaded;
    }

    /**
     * Copies the library out of the binding's jar into the cache, unless an intact copy is there.
     * The copy is written next to its final name and renamed, so an interrupted extraction never
     * leaves a truncated library under that name, and two nodes sharing a data directory cannot
     * read each other's half-written file.
     *
     * @param dataDir  the data directory
     * @param platform the platform
     * @return the cached library
     */
    static Path extract(Path dataDir, Platform platform) {
        Path target = cachedPath(dataDir, platform);
        String resource = "/" + target.getFileName();
        URL url = NativeLibraryLoader.class.getResource(resource);
        if (url == null) {
            throw new WasmException("the wasmtime-java jar has no native library " + resource.substring(1)
                    + " for " + platform.os() + "-" + platform.arch());
        }
        try {
            URLConnection connection = url.openConnection();
            connection.setUseCaches(false);
            long expected = connection.getContentLengthLong();
            if (Files.isRegularFile(target) && (expected < 0 || Files.size(target) == expected)) {
                return target;
            }
            Path dir = target.getParent();
            Files.createDirectories(dir);
            Path part = Files.createTempFile(dir, target.getFileName() + ".", ".part");
            try {
                try (InputStream in = connection.getInputStream()) {
                    Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                }
                try {
                    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(part);
            }
            return target;
        } catch (IOException e) {
            throw new WasmException("cannot extract the wasmtime native library to " + target + ": " + e, e);
        }
    }

    // Loading native code is the point; the runtime grants this module native access.
    @SuppressWarnings("restricted")
    private static String load(Path library) {
        Field flag = bindingFlag();
        try {
            if (flag == null || NativeLibrary.class.getClassLoader() != NativeLibraryLoader.class.getClassLoader()) {
                LOG.log(System.Logger.Level.WARNING, "wasmtime-java will load its native library itself (it copies"
                        + " it to the temporary directory on every start): {0}", flag == null
                        ? "its loader has no accessible 'loaded' flag (is this wasmtime-java " + bindingVersion() + "?)"
                        : "it is in another class loader than the Caxton plugin");
                return "extracted by wasmtime-java to the temporary directory";
            }
            if (flag.getBoolean(null)) {
                return "loaded by wasmtime-java before this engine started";
            }
            try {
                System.load(library.toAbsolutePath().toString());
            } catch (UnsatisfiedLinkError e) {
                throw new WasmException("cannot load the wasmtime native library " + library + ": " + e.getMessage()
                        + " (the library needs glibc on Linux, and the data directory must not be mounted noexec)", e);
            }
            flag.setBoolean(null, true);
            return library.toAbsolutePath().toString();
        } catch (IllegalAccessException e) {
            throw new WasmException("cannot tell wasmtime-java that its native library is loaded: " + e, e);
        }
    }

    /** The binding loader's "already loaded" flag, opened for writing, or null when that cannot be done. */
    private static Field bindingFlag() {
        try {
            Field f = NativeLibraryLoader.class.getDeclaredField("loaded");
            if (f.getType() != boolean.class || !Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers())) {
                return null;
            }
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException | InaccessibleObjectException | SecurityException e) {
            return null;
        }
    }
}
