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
        description = "Work with configuration files.",
        subcommands = ConfigCommand.Validate.class)
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

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            CaxtonConfig config;
            try {
                config = CaxtonConfig.load(file, LocalSetup.catalog(CaxtonCommand.context(spec)));
            } catch (ConfigException e) {
                if (output.json()) {
                    Json.print(out, Json.object().put("file", file.toString()).put("valid", false).put("error", e.getMessage()));
                }
                throw new CliException(e.getMessage());
            }
            if (output.json()) {
                var result = Json.object().put("file", file.toString()).put("valid", true);
                result.set("values", Json.MAPPER.valueToTree(config.effectiveValues()));
                Json.print(out, result);
            } else {
                out.println(file + ": valid");
            }
            return 0;
        }
    }
}
