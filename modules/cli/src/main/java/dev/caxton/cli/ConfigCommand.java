package dev.caxton.cli;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.spi.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code caxton config}: work with configuration files. */
@Command(name = "config",
        description = "Work with configuration files.")
final class ConfigCommand {

    /**
     * {@code caxton config validate FILE}: the same checks a node makes at startup, against the
     * providers installed here, without starting anything.
     */
    @Command(name = "validate", description = "Checks a configuration file the way a starting node would.")
    static final class Validate implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Mixin
        private OutputOptions output;

        @Parameters(index = "0", paramLabel = "FILE", description = "The configuration file.")
        private Path file;

        @picocli.CommandLine.Option(names = "--profile", paramLabel = "NAME",
                description = "Checks the file with this tuning profile (as server start --profile would) and shows "
                        + "the values the profile sets that the file does not.")
        private String profile;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            CaxtonConfig config;
            try {
                config = LocalSetup.loadWithProfile(file, LocalSetup.catalog(CaxtonCommand.context(spec)), profile);
            } catch (ConfigException e) {
                if (output.json()) {
                    Json.print(out, Json.object().put("file", file.toString()).put("valid", false).put("error", e.getMessage()));
                }
                throw new CliException(e.getMessage());
            }
            if (output.json()) {
                var result = Json.object().put("file", file.toString()).put("valid", true);
                result.set("values", Json.mapper().valueToTree(config.effectiveValues()));
                Json.print(out, result);
            } else {
                out.println(file + ": valid");
                printProfile(out, config);
            }
            return 0;
        }

        /** Lists what the chosen profile sets, and which of its keys the file (or CAXTON_OPTS) decided instead. */
        private static void printProfile(PrintWriter out, CaxtonConfig config) {
            String name = config.string(dev.caxton.runtime.config.Profiles.KEY);
            java.util.Map<String, String> preset = dev.caxton.runtime.config.Profiles.values(name);
            if (preset.isEmpty()) {
                return;
            }
            out.println("profile " + name + ":");
            java.util.Map<String, Object> values = config.effectiveValues();
            preset.forEach((key, raw) -> {
                out.println("  " + key + " = " + values.get(key)
                        + (config.isWritten(key) ? " (written; the profile's " + raw + " does not apply)" : ""));
            });
        }
    }

    /**
     * {@code caxton config set KEY=VALUE}: changes a setting of a running node now, through the API.
     * The file is not changed, so a restart returns to it; only settings that can change live are
     * accepted.
     */
    @Command(name = "set", description = "Changes a setting of a running node now (not its file);"
            + " settable: observability.logging.level (alias observability.log_level).")
    static final class Set extends ClientCommand {

        /** The keys this command can change, all naming the live log level. */
        static final java.util.Set<String> LEVEL_KEYS = java.util.Set.of("observability.logging.level", "observability.log_level");

        @Parameters(index = "0", paramLabel = "KEY=VALUE", description = "The setting, e.g. observability.logging.level=debug.")
        private String assignment;

        private String value;

        @Override
        void prepare() {
            int eq = assignment.indexOf('=');
            if (eq < 1) {
                throw CliException.usage("expected KEY=VALUE, e.g. observability.logging.level=debug; got '" + assignment + "'");
            }
            String key = assignment.substring(0, eq).trim();
            value = assignment.substring(eq + 1).trim();
            if (!LEVEL_KEYS.contains(key)) {
                throw CliException.usage("'" + key + "' cannot be changed on a running node; settable: "
                        + "observability.logging.level (trace, debug, info, warn, error). Edit the file and restart for the rest.");
            }
            if (!java.util.List.of("trace", "debug", "info", "warn", "error").contains(value)) {
                throw CliException.usage(key + " must be one of trace, debug, info, warn, error; got '" + value + "'");
            }
        }

        @Override
        int run(ApiClient api, PrintWriter out) {
            var answer = api.put("/config/logging", Json.object().put("level", value));
            if (json()) {
                Json.print(out, answer);
            } else {
                out.println("log level is now " + Json.text(answer.path("level")) + " (until the node restarts)");
            }
            return 0;
        }
    }
}
