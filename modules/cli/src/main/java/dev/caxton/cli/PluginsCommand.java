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
        description = "The providers (plugins) this installation can use.")
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
                ArrayNode array = Json.mapper().createArrayNode();
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
                            .map(Json.mapper().getNodeFactory()::textNode).toList());
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
                // Only beside the table: JSON readers often merge stderr into what they parse.
                if (!output.json()) {
                    spec.commandLine().getErr().println("caxton: note: the configuration cannot be loaded, so no "
                            + "provider is shown as selected: " + e.getMessage());
                }
            }
            return selected;
        }
    }

    /**
     * {@code caxton plugins verify PATH}: loads one plugin folder as a starting node would and reports
     * each check, so an author sees a refusal before an operator does.
     */
    @Command(name = "verify", description = "Loads a plugin folder as a node would (SPI range, module resolution, "
            + "provider creation), checks its names and defaults, and runs the testkit's conformance suite of each "
            + "provider's SPI against it (a line per failed test, then a summary); exits 1 when a check fails.")
    static final class Verify implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Mixin
        private OutputOptions output;

        @picocli.CommandLine.Parameters(paramLabel = "PATH", description = "The plugin folder (its jar and its libraries).")
        private Path folder;

        @Option(names = "--no-conformance",
                description = "Only load and check the folder; do not run the testkit's conformance suite.")
        private boolean noConformance;

        /** The installation's test kit, looked up once per command. */
        private Optional<ConformanceKit> kit;

        private record Check(String result, String check, String subject, String detail) {
        }

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if (!java.nio.file.Files.isDirectory(folder)) {
                spec.commandLine().getErr().println("caxton: " + folder + ": not a directory (a plugin folder holds the "
                        + "plugin's jar and its libraries)");
                return 1;
            }
            List<Check> checks = checks(PluginCatalog.inspect(folder));
            if (output.json()) {
                ArrayNode array = Json.mapper().createArrayNode();
                checks.forEach(c -> array.addObject().put("result", c.result()).put("check", c.check())
                        .put("subject", c.subject()).put("detail", c.detail()));
                Json.print(out, array);
            } else {
                TextTable table = new TextTable("RESULT", "CHECK", "PROVIDER", "DETAIL");
                checks.forEach(c -> table.row(c.result(), c.check(), c.subject(), c.detail()));
                table.print(out);
            }
            boolean failed = checks.stream().anyMatch(c -> c.result().equals("FAIL"));
            boolean refused = checks.stream().anyMatch(c -> c.result().equals("FAIL") && !c.check().equals("conformance"));
            if (refused) {
                spec.commandLine().getErr().println("caxton: " + folder + ": the plugin would be refused (see FAIL above)");
            } else if (failed) {
                spec.commandLine().getErr().println("caxton: " + folder + ": the plugin loads but fails its conformance "
                        + "suite (see FAIL above)");
            }
            return failed ? 1 : 0;
        }

        /**
         * Runs the testkit's suite for the provider's SPI through the installation's tools/verify:
         * a FAIL line per failed test, then one line that sums the run up.
         */
        private void conformance(dev.caxton.spi.Provider provider, String subject, String spiLabel, List<Check> checks) {
            if (noConformance) {
                checks.add(new Check("NOTE", "conformance", subject, "not run (--no-conformance)"));
                return;
            }
            if (kit == null) {
                kit = ConformanceKit.find(CaxtonCommand.context(spec).home());
            }
            if (kit.isEmpty()) {
                checks.add(new Check("NOTE", "conformance", subject, "not run: this installation has no test kit "
                        + "(tools/verify); run the testkit's conformance suite for the " + spiLabel
                        + " SPI in the plugin's own build"));
                return;
            }
            List<Map<String, String>> outcomes = kit.get().run(provider);
            int passed = 0;
            int failed = 0;
            java.util.Set<String> skipReasons = new java.util.LinkedHashSet<>();
            int skipped = 0;
            for (Map<String, String> o : outcomes) {
                switch (o.get("result")) {
                    case "passed" -> passed++;
                    case "failed" -> {
                        failed++;
                        checks.add(new Check("FAIL", "conformance", subject, o.get("test") + ": " + o.get("detail")));
                    }
                    default -> {
                        skipped++;
                        skipReasons.add(o.get("detail"));
                    }
                }
            }
            String summary = outcomes.size() + " tests of the " + spiLabel + " suite run: " + passed + " passed, "
                    + failed + " failed, " + skipped + " skipped"
                    + (skipReasons.isEmpty() ? "" : " (" + String.join("; ", skipReasons) + ")");
            checks.add(new Check(failed == 0 ? "PASS" : "FAIL", "conformance", subject, summary));
        }

        private List<Check> checks(PluginCatalog catalog) {
            List<Check> checks = new java.util.ArrayList<>();
            String dir = folder.toAbsolutePath().normalize().getFileName().toString();
            List<PluginInfo> plugins = catalog.plugins();
            if (plugins.isEmpty()) {
                checks.add(new Check("FAIL", "load", "-", "the folder has no module that provides a Caxton SPI"));
                return checks;
            }
            for (PluginInfo p : plugins) {
                String subject = p.spi() + "/" + p.name();
                if (!p.usable()) {
                    checks.add(new Check("FAIL", "load", subject, p.refusal()));
                    continue;
                }
                checks.add(new Check("PASS", "load", subject, "module " + p.module() + " " + p.version()
                        + "; SPI range " + p.spiRange() + " includes this node's SPI " + dev.caxton.spi.SpiVersion.CURRENT
                        + (p.nativeAccess().isEmpty() ? "" : "; native access: " + String.join(", ", p.nativeAccess()))));
                String expected = p.spi() + "-" + p.name();
                checks.add(dir.equals(expected)
                        ? new Check("PASS", "names", subject, "the folder is named <spi>-<provider name>")
                        : new Check("WARN", "names", subject, "the folder is '" + dir + "', the naming rule says '" + expected
                        + "'; a node names a refused folder by its last word"));
                Spi spi = java.util.Arrays.stream(Spi.values()).filter(x -> x.label().equals(p.spi())).findFirst().orElseThrow();
                try {
                    catalog.find(spi, p.name()).orElseThrow().check(
                            dev.caxton.spi.ProviderConfig.of(spi.section() + "." + p.name(), Map.of()));
                    checks.add(new Check("PASS", "defaults", subject, "accepts an empty " + spi.section() + "."
                            + p.name() + " section"));
                } catch (ConfigException e) {
                    checks.add(new Check("NOTE", "defaults", subject, "needs settings: " + e.getMessage()));
                } catch (RuntimeException e) {
                    checks.add(new Check("FAIL", "defaults", subject, "checking an empty section failed: " + e));
                }
                conformance(catalog.find(spi, p.name()).orElseThrow(), subject, p.spi(), checks);
            }
            return checks;
        }
    }
}
