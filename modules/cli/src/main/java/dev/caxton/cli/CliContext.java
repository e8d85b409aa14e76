package dev.caxton.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What a command may know about the process it runs in, passed in rather than read from globals so
 * tests can run commands in-process with their own environment.
 *
 * @param env  the environment variables ({@code CAXTON_TOKEN}, {@code CAXTON_DEBUG})
 * @param home the installation directory (system property {@code caxton.home}, set by the launcher
 *             script), or null when running outside an installation
 */
record CliContext(Map<String, String> env, Path home) {

    /** Environment variable holding the API token. */
    static final String TOKEN_ENV = "CAXTON_TOKEN";

    /** Environment variable that makes unexpected errors print their stack trace. */
    static final String DEBUG_ENV = "CAXTON_DEBUG";

    /**
     * The directory holding one sub-folder per plugin.
     *
     * @return {@code <home>/plugins}, or null without an installation
     */
    Path pluginsDir() {
        return home == null ? null : home.resolve("plugins");
    }

    /**
     * The configuration file used when {@code --config} is not given.
     *
     * @return {@code <home>/conf/caxton.yaml} when it exists
     */
    Optional<Path> defaultConfigFile() {
        if (home == null) {
            return Optional.empty();
        }
        Path file = home.resolve("conf").resolve("caxton.yaml");
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /**
     * An environment variable, treating blank as absent.
     *
     * @param name the variable
     * @return its value
     */
    Optional<String> envVar(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }
}
