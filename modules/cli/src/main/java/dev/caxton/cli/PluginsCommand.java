package dev.caxton.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.PluginInfo;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.spi.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code caxton plugins}: the providers this installation can use. */
@Command(name = "plugins",
        description = "The providers (plugins) this installation can use.",
        subcommands = PluginsCommand.ListPlugins.class)
final class PluginsCommand {

    /** {@code caxton plugins list}: read locally, the way a node starting here would find them. */
    @Command(name = "list", description = "Lists every provider of every SPI found in the image and the plugins "
            + "directory, with the SPI range it was built for, whether the configuration selects it and whether "
            + "it is usable or refused (and why).")
    static final class ListPlugins implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Mixin
        private OutputOptions output;

        @Option(names = "--config", paramLabel = "FILE",
                description = "The configuration whose provider choices are shown (default: as 'server start').")
        private Path config;

        @Override
        public Integer call() {
            CliContext ctx = CaxtonCommand.context(spec);
            PluginCatalog catalog = LocalSetup.catalog(ctx);
            List<PluginInfo> plugins = catalog.plugins();
            Map<Spi, String> selected = selections(ctx, catalog);
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                ArrayNode array = Json.MAPPER.createArrayNode();
                for (PluginInfo p : plugins) {
                    ObjectNode o = array.addObject()
                            .put("spi", p.spi())
                            .put("name", p.name())
                            .put("module", p.module())
                            .put("version", p.version())
                            .put("description", p.description())
                            .put("location", p.location())
                            .put("spi_range", p.spiRange())
                            .put("selected", isSelected(selected, p))
                            .put("state", p.usable() ? "ok" : "refused");
                    o.putArray("native_access").addAll(p.nativeAccess().stream()
                            .map(Json.MAPPER.getNodeFactory()::textNode).toList());
                    if (!p.usable()) {
                        o.put("reason", p.refusal());
                    }
                }
                Json.print(out, array);
                return 0;
            }
            if (plugins.isEmpty()) {
                out.println("no plugins found");
                return 0;
            }
            TextTable table = new TextTable("SPI", "NAME", "MODULE", "VERSION", "SPI-RANGE", "SELECTED", "ORIGIN", "STATE");
            for (PluginInfo p : plugins) {
                table.row(p.spi(), p.name(), p.module(), p.version(), p.spiRange(),
                        isSelected(selected, p) ? "yes" : "no", p.location(), p.state());
            }
            table.print(out);
            return 0;
        }

        private static boolean isSelected(Map<Spi, String> selected, PluginInfo p) {
            for (Map.Entry<Spi, String> e : selected.entrySet()) {
                if (e.getKey().label().equals(p.spi()) && e.getValue().equals(p.name())) {
                    return true;
                }
            }
            return false;
        }

        /**
         * The provider each SPI's selector names in the configuration a node would start with. A file
         * that cannot be loaded (it may select a refused plugin) is reported on stderr and nothing is
         * marked selected, so the list is still shown.
         */
        private Map<Spi, String> selections(CliContext ctx, PluginCatalog catalog) {
            Map<Spi, String> selected = new EnumMap<>(Spi.class);
            try {
                Optional<CaxtonConfig> cfg = LocalSetup.loadFile(config, ctx, catalog);
                CaxtonConfig c = cfg.isPresent() ? cfg.get() : CaxtonConfig.defaults(catalog);
                for (Spi spi : Spi.values()) {
                    selected.put(spi, c.providerName(spi));
                }
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("caxton: note: the configuration cannot be loaded, so no "
                        + "provider is shown as selected: " + e.getMessage());
            }
            return selected;
        }
    }
}
