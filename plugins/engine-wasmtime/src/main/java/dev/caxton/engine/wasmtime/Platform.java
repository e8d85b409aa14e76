package dev.caxton.engine.wasmtime;

import java.util.Locale;
import java.util.Optional;

/**
 * The operating system and processor the JVM runs on, in the terms wasmtime-java names its native
 * libraries by, and whether the binding ships a library for it. Decided from {@code os.name} and
 * {@code os.arch} alone, so asking touches nothing native.
 *
 * @param os   {@code linux}, {@code macos} or {@code windows}, or the raw name when unknown
 * @param arch {@code x86_64} or {@code aarch64}, or the raw name when unknown
 * @param unsupportedReason why the binding cannot run here, if it cannot
 */
record Platform(String os, String arch, Optional<String> unsupportedReason) {

    /** What wasmtime-java 0.19.0 ships libraries for. */
    static final String SUPPORTED = "linux-x86_64, linux-aarch64, macos-x86_64, macos-aarch64 and windows-x86_64";

    /**
     * The platform this JVM runs on.
     *
     * @return the platform
     */
    static Platform current() {
        return of(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    /**
     * Classifies a platform.
     *
     * @param osName the {@code os.name} value
     * @param osArch the {@code os.arch} value
     * @return the platform
     */
    static Platform of(String osName, String osArch) {
        String n = osName.toLowerCase(Locale.ROOT);
        String a = osArch.toLowerCase(Locale.ROOT);
        String os = n.contains("linux") ? "linux"
                : n.contains("mac os") || n.contains("darwin") ? "macos"
                : n.startsWith("windows") ? "windows" : null;
        String arch = a.equals("amd64") || a.equals("x86_64") || a.equals("x64") ? "x86_64"
                : a.equals("aarch64") || a.equals("arm64") ? "aarch64" : null;
        boolean supported = os != null && arch != null && !(os.equals("windows") && arch.equals("aarch64"));
        Optional<String> reason = supported ? Optional.empty() : Optional.of("the wasmtime engine runs native code"
                + " from wasmtime-java, which ships it for " + SUPPORTED + " only; this JVM runs on "
                + osName + " (" + osArch + "). Use the chicory engine here.");
        return new Platform(os == null ? osName : os, arch == null ? osArch : arch, reason);
    }

    /**
     * The file name of the binding's library for this platform, as it lies in the binding's jar.
     *
     * @param bindingVersion the binding's version, part of the name
     * @return e.g. {@code libwasmtime_jni_0.19.0_linux_x86_64.so}
     */
    String libraryFile(String bindingVersion) {
        String prefix = os.equals("windows") ? "" : "lib";
        String ext = switch (os) {
            case "windows" -> ".dll";
            case "macos" -> ".dylib";
            default -> ".so";
        };
        return prefix + "wasmtime_jni_" + bindingVersion + "_" + os + "_" + arch + ext;
    }
}
