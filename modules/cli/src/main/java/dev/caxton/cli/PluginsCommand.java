package dev.caxton.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.caxton.runtime.plugin.PluginInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code caxton plugins}: the providers this installation can use. */
@Command(name = "plugins",
        description = "The providers (plugins) this installation can use.",
        subcommands = PluginsCommand.ListPlugins.class)
final class PluginsCommand {

    /** {@code caxton plugins list}: read locally, the way a node starting here would find them. */
    @Command(name = "list", description = "Lists every provider of every SPI found in the image and the plugins directory.")
    static final class ListPlugins implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Mixin
        private OutputOptions output;

        @Override
        public Integer call() {
            List<PluginInfo> plugins = LocalSetup.catalog(CaxtonCommand.context(spec)).plugins();
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                ArrayNode array = Json.MAPPER.createArrayNode();
                for (PluginInfo p : plugins) {
                    array.addObject()
                            .put("spi", p.spi())
                            .put("name", p.name())
                            .put("module", p.module())
                            .put("version", p.version())
                            .put("description", p.description())
                            .put("location", p.location());
                }
                Json.print(out, array);
                return 0;
            }
            if (plugins.isEmpty()) {
                out.println("no plugins found");
                return 0;
            }
            TextTable table = new TextTable("SPI", "NAME", "MODULE", "VERSION", "DESCRIPTION");
            for (PluginInfo p : plugins) {
                table.row(p.spi(), p.name(), p.module(), p.version(), p.description());
            }
            table.print(out);
            return 0;
        }
    }
}
