package dev.caxton.cli;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;

import java.nio.file.Path;
import java.util.Optional;

/** Finds the plugins and the configuration file of the local installation, the way a node does. */
final class LocalSetup {

    private LocalSetup() {
    }

    /**
     * Every provider installed: those linked into the image or on the path, and those in the plugins
     * directory of the installation.
     *
     * @param ctx the process context
     * @return the catalog
     */
    static PluginCatalog catalog(CliContext ctx) {
        return PluginCatalog.discover(ctx.pluginsDir());
    }

    /**
     * The configuration file to use: the one given, else {@code CAXTON_CONFIG}, else the
     * installation's default file.
     *
     * @param given the {@code --config} value, or null
     * @param ctx   the process context
     * @return the file, or empty when the built-in defaults apply
     */
    static Optional<Path> configFile(Path given, CliContext ctx) {
        if (given != null) {
            return Optional.of(given);
        }
        String fromEnv = ctx.env().get(CONFIG_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(Path.of(fromEnv));
        }
        return ctx.defaultConfigFile();
    }

    /** The environment variable naming the configuration file when {@code --config} is not given. */
    static final String CONFIG_ENV = "CAXTON_CONFIG";

    /**
     * Loads the configuration file when there is one.
     *
     * @param given   the {@code --config} value, or null
     * @param ctx     the process context
     * @param catalog the providers the file is checked against
     * @return the configuration, or empty when no file applies
     * @throws dev.caxton.spi.ConfigException naming the file and key when the file is wrong
     */
    static Optional<CaxtonConfig> loadFile(Path given, CliContext ctx, PluginCatalog catalog) {
        return configFile(given, ctx).map(file -> CaxtonConfig.load(file, catalog));
    }

    /**
     * Loads the configuration (the file when there is one, else the defaults) with a tuning profile
     * chosen on the command line.
     *
     * @param file    the configuration file, or null for the built-in defaults
     * @param catalog the providers the file is checked against
     * @param profile the {@code --profile} value, or null to keep the file's {@code server.profile}
     * @return the configuration
     * @throws CliException (a usage error) naming the choices when the profile is unknown
     */
    static CaxtonConfig loadWithProfile(Path file, PluginCatalog catalog, String profile) {
        if (profile != null && !dev.caxton.runtime.config.Profiles.names().contains(profile)) {
            throw CliException.usage("--profile " + profile + ": unknown profile; choose one of "
                    + String.join(", ", dev.caxton.runtime.config.Profiles.names()));
        }
        return CaxtonConfig.load(file, catalog, profile);
    }
}
