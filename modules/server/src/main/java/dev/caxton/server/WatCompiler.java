package dev.caxton.server;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The WAT compiler of an installation (wabt on Chicory, in {@code tools/wat} of the image), for
 * tools that compile without a running server, such as {@code caxton agent check}.
 */
public final class WatCompiler {

    private final WatTool tool;

    private WatCompiler(WatTool tool) {
        this.tool = tool;
    }

    /**
     * Finds the compiler: on the class path, or in {@code <home>/tools/wat}.
     *
     * @param home the installation directory, or null
     * @return the compiler, empty when the installation has none
     */
    public static Optional<WatCompiler> find(Path home) {
        return WatTool.find(home).map(WatCompiler::new);
    }

    /**
     * Compiles WAT text.
     *
     * @param wat the module text
     * @return the binary module
     * @throws IllegalArgumentException with the compiler's message (line and column) when the text
     *         does not compile
     */
    public byte[] compile(String wat) {
        return tool.compile(wat);
    }
}
