package dev.caxton.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One folder under {@code plugins/}, read from its sources: the module it declares, the services it
 * provides, its artifact and the packages of its classes. The architecture rules are derived from
 * these folders, so a plugin added tomorrow is checked without anyone editing a list.
 *
 * @param folder   the folder
 * @param module   the module name in its {@code module-info.java}
 * @param provides the service interfaces it provides (empty: a support library)
 * @param artifact its Maven artifactId
 * @param packages the packages of its main classes
 */
record PluginFolder(Path folder, String module, List<String> provides, String artifact, List<String> packages) {

    private static final Pattern MODULE = Pattern.compile("(?m)^\\s*(?:open\\s+)?module\\s+([\\w.]+)");
    private static final Pattern PROVIDES = Pattern.compile("provides\\s+([\\w.]+)\\s+with");
    private static final Pattern PACKAGE = Pattern.compile("(?m)^\\s*package\\s+([\\w.]+)\\s*;");
    private static final Pattern ARTIFACT = Pattern.compile("</parent>.*?<artifactId>([^<]+)</artifactId>", Pattern.DOTALL);

    /** The repository's root (the tests run in tests/architecture). */
    static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();

    /** Every folder of {@code plugins/} with a module descriptor. */
    static List<PluginFolder> scan(Path plugins) throws IOException {
        try (Stream<Path> s = Files.list(plugins)) {
            List<PluginFolder> out = new ArrayList<>();
            for (Path f : s.filter(p -> Files.isRegularFile(p.resolve("src/main/java/module-info.java"))).sorted().toList()) {
                out.add(read(f));
            }
            return out;
        }
    }

    static PluginFolder read(Path folder) throws IOException {
        String info = Files.readString(folder.resolve("src/main/java/module-info.java"))
                .replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
        Matcher m = MODULE.matcher(info);
        String module = m.find() ? m.group(1) : "";
        List<String> provides = PROVIDES.matcher(info).results().map(r -> r.group(1)).toList();
        Matcher a = ARTIFACT.matcher(Files.readString(folder.resolve("pom.xml")));
        String artifact = a.find() ? a.group(1) : "";
        List<String> packages;
        try (Stream<Path> files = Files.walk(folder.resolve("src/main/java"))) {
            packages = files.filter(p -> p.toString().endsWith(".java") && !p.endsWith("module-info.java"))
                    .map(p -> {
                        try {
                            Matcher pm = PACKAGE.matcher(Files.readString(p));
                            return pm.find() ? pm.group(1) : "";
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).distinct().sorted().toList();
        }
        return new PluginFolder(folder, module, provides, artifact, packages);
    }

    /** A plugin provides a service; a folder providing nothing is a support library for plugins. */
    boolean isPlugin() {
        return !provides.isEmpty();
    }

    /** The folder's name, {@code <spi>-<name>} by the rule. */
    String name() {
        return folder.getFileName().toString();
    }

    /**
     * What breaks the naming rule: folder {@code <spi>-<name>}, artifact {@code caxton-<spi>-<name>},
     * module {@code dev.caxton.<spi>.<name>}, every package under the module name, and for a plugin a
     * first word that is an SPI whose service it provides.
     *
     * @param spiServices SPI label to the service interface it names (engine to ...WasmEngineProvider)
     * @return the problems, empty when the folder follows the rule
     */
    List<String> namingProblems(java.util.Map<String, String> spiServices) {
        List<String> problems = new ArrayList<>();
        String n = name();
        if (!n.matches("[a-z]+-[a-z0-9]+")) {
            problems.add(n + ": a plugin folder is named <spi>-<name> in lower case (one dash)");
            return problems;
        }
        String expectedModule = "dev.caxton." + n.replace('-', '.');
        if (!module.equals(expectedModule)) {
            problems.add(n + ": module is " + module + ", expected " + expectedModule);
        }
        if (!artifact.equals("caxton-" + n)) {
            problems.add(n + ": artifactId is " + artifact + ", expected caxton-" + n);
        }
        for (String p : packages) {
            if (!(p.equals(module) || p.startsWith(module + "."))) {
                problems.add(n + ": package " + p + " is outside the module's root package " + module);
            }
        }
        if (isPlugin()) {
            String spi = n.substring(0, n.indexOf('-'));
            String service = spiServices.get(spi);
            if (service == null) {
                problems.add(n + ": '" + spi + "' is not an SPI (" + String.join(", ", spiServices.keySet()) + ")");
            } else if (!provides.contains(service)) {
                problems.add(n + ": a " + spi + " plugin must provide " + service + ", it provides " + provides);
            }
        }
        return problems;
    }
}
