package dev.caxton.tests;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import org.junit.jupiter.api.io.TempDir;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rules that keep Caxton a plugin platform: the SPI stands alone, plugins see only the SPI, their
 * own libraries, first-party support libraries and the shared first-party libraries of modules/,
 * support libraries see only the SPI, shared libraries only java.base, and the core never reaches
 * into a plugin. A change that breaks one fails the build.
 */
class ArchitectureTest {

    private static List<PluginFolder> folders;

    /** The module (= root package) of every plugin folder that provides a service. */
    private static List<String> plugins;

    /**
     * First-party support libraries: folders under plugins/ that provide nothing (code several
     * plugins share that does not belong in the SPI because it needs a third-party library, like
     * Netty). A library, not a provider: it lives in each using plugin's folder.
     */
    private static List<String> supportLibraries;

    /**
     * First-party libraries in modules/ that plugins may use besides the SPI: each depends on
     * java.base only, and a copy of it lands in every using plugin's folder.
     */
    static final List<String> SHARED_LIBRARIES = List.of("dev.caxton.wasm.metering");

    private static boolean inAny(String pkg, List<String> roots) {
        return roots.stream().anyMatch(r -> pkg.equals(r) || pkg.startsWith(r + "."));
    }

    private static JavaClasses production;

    @BeforeAll
    static void importClasses() throws Exception {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.caxton");
        folders = PluginFolder.scan(PluginFolder.ROOT.resolve("plugins"));
        plugins = folders.stream().filter(PluginFolder::isPlugin).map(PluginFolder::module).toList();
        supportLibraries = folders.stream().filter(f -> !f.isPlugin()).map(PluginFolder::module).toList();
    }

    static Map<String, String> spiServices() {
        Map<String, String> m = new TreeMap<>();
        for (Spi spi : Spi.values()) {
            m.put(spi.label(), spi.type().getName());
        }
        return m;
    }

    @Test
    @DisplayName("the plugins are found by scanning plugins/ (a rule over nothing would pass vacuously)")
    void pluginsAreScanned() {
        assertThat(plugins).hasSizeGreaterThanOrEqualTo(11).contains("dev.caxton.membership.fixed", "dev.caxton.engine.chicory");
        assertThat(supportLibraries).contains("dev.caxton.transport.netty");
    }

    @Test
    @DisplayName("every module was imported (a rule over nothing would pass vacuously)")
    void everyModuleIsImported() {
        List<String> expected = new java.util.ArrayList<>(List.of("dev.caxton.spi", "dev.caxton.runtime",
                "dev.caxton.server", "dev.caxton.cli", "dev.caxton.testkit", "dev.caxton.fipa"));
        expected.addAll(SHARED_LIBRARIES);
        folders.forEach(f -> expected.add(f.module()));
        for (String p : expected) {
            assertThat(production.stream().anyMatch(c -> c.getPackageName().startsWith(p)))
                    .as("classes of %s imported", p).isTrue();
        }
    }

    @Test
    @DisplayName("every folder under plugins/: folder <spi>-<name>, artifact caxton-<spi>-<name>, module and root package dev.caxton.<spi>.<name>")
    void namesAgree() {
        List<String> problems = folders.stream().flatMap(f -> f.namingProblems(spiServices()).stream()).toList();
        assertThat(problems).isEmpty();
    }

    @Test
    @DisplayName("a plugin's provider is named after its folder's last word")
    void providerNamesAreTheFoldersLastWord() {
        PluginCatalog catalog = PluginCatalog.discover(null);
        for (PluginFolder f : folders.stream().filter(PluginFolder::isPlugin).toList()) {
            String spi = f.name().substring(0, f.name().indexOf('-'));
            String name = f.name().substring(f.name().indexOf('-') + 1);
            Spi s = Spi.valueOf(spi.toUpperCase(java.util.Locale.ROOT));
            assertThat(catalog.find(s, name))
                    .as("a %s provider named '%s' (folder %s); %s providers: %s", spi, name, f.name(), spi, catalog.names(s))
                    .isPresent()
                    .get().extracting(p -> p.getClass().getPackageName()).asString().startsWith(f.module());
        }
    }

    @Test
    @DisplayName("the naming check catches a misnamed plugin (as membership-static was)")
    void theNamingCheckCatchesAMisnamedPlugin(@TempDir Path tmp) throws Exception {
        Path folder = tmp.resolve("membership-static");
        Path pkg = Files.createDirectories(folder.resolve("src/main/java/dev/caxton/plugin/membership/fixed"));
        Files.writeString(folder.resolve("src/main/java/module-info.java"), """
                module dev.caxton.membership.fixed {
                    requires dev.caxton.spi;
                    provides dev.caxton.spi.membership.MembershipProvider with dev.caxton.plugin.membership.fixed.P;
                }
                """);
        Files.writeString(pkg.resolve("P.java"), "package dev.caxton.plugin.membership.fixed;\nclass P {}\n");
        Files.writeString(folder.resolve("pom.xml"), "<project><parent><artifactId>caxton-parent</artifactId></parent>"
                + "<artifactId>caxton-membership-static</artifactId></project>");

        List<String> problems = PluginFolder.read(folder).namingProblems(spiServices());

        assertThat(problems).anySatisfy(p -> assertThat(p).contains("module is dev.caxton.membership.fixed, expected dev.caxton.membership.static"))
                .anySatisfy(p -> assertThat(p).contains("package dev.caxton.plugin.membership.fixed is outside"));
        assertThat(PluginFolder.read(PluginFolder.ROOT.resolve("plugins/membership-fixed")).namingProblems(spiServices())).isEmpty();
    }

    @Test
    @DisplayName("the SPI depends on java.base only")
    void spiDependsOnNothing() {
        ArchRule rule = classes().that().resideInAPackage("dev.caxton.spi..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("dev.caxton.spi..", "java.lang..", "java.util..",
                        "java.time..", "java.nio..", "java.net..", "java.io..", "java.math..",
                        // certificates, for the node-id check transports share (all in java.base)
                        "java.security..", "javax.security.auth.x500..");
        rule.check(production);
    }

    @Test
    @DisplayName("plugins depend on the SPI, their own libraries, first-party support libraries and the shared libraries, never on the core or each other")
    void pluginsSeeOnlyTheSpi() {
        for (String plugin : plugins) {
            pluginRule(plugin, plugins, supportLibraries).check(production);
        }
    }

    /** The rule for one plugin's classes, given every plugin's and support library's root package. */
    static ArchRule pluginRule(String plugin, List<String> plugins, List<String> supportLibraries) {
        return noClasses().that().resideInAPackage(plugin + "..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.caxton.runtime..", "dev.caxton.server..",
                        "dev.caxton.cli..", "dev.caxton.testkit..")
                .orShould().dependOnClassesThat(
                        com.tngtech.archunit.base.DescribedPredicate.describe("another plugin's classes",
                                c -> inAny(c.getPackageName(), plugins) && !inAny(c.getPackageName(), List.of(plugin))))
                .orShould().dependOnClassesThat(
                        com.tngtech.archunit.base.DescribedPredicate.describe(
                                "Caxton classes other than the SPI's, its own, a support library's and a shared library's",
                                c -> c.getPackageName().startsWith("dev.caxton.")
                                        && !inAny(c.getPackageName(), List.of("dev.caxton.spi", plugin))
                                        && !inAny(c.getPackageName(), supportLibraries)
                                        && !inAny(c.getPackageName(), SHARED_LIBRARIES)));
    }

    @Test
    @DisplayName("the plugin rule allows the SPI and a shared library, and still catches a plugin that imports the runtime")
    void thePluginRuleStillCatchesTheRuntime() {
        String fixture = dev.caxton.tests.archfixture.plugin.UsesTheRuntime.class.getPackageName();
        List<String> withFixture = new java.util.ArrayList<>(plugins);
        withFixture.add(fixture);
        JavaClasses bad = new ClassFileImporter().importClasses(dev.caxton.tests.archfixture.plugin.UsesTheRuntime.class);
        com.tngtech.archunit.lang.EvaluationResult result = pluginRule(fixture, withFixture, supportLibraries).evaluate(bad);
        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails())
                .anySatisfy(d -> assertThat(d).contains("dev.caxton.runtime"))
                .noneSatisfy(d -> assertThat(d).contains("dev.caxton.wasm.metering"))
                .noneSatisfy(d -> assertThat(d).contains("dev.caxton.spi."));
        JavaClasses good = new ClassFileImporter().importClasses(dev.caxton.tests.archfixture.plugin.UsesTheLibrary.class);
        assertThat(pluginRule(fixture, withFixture, supportLibraries).evaluate(good).hasViolation())
                .as("the SPI and the shared library are allowed").isFalse();
    }

    @Test
    @DisplayName("shared libraries depend on java.base only")
    void sharedLibrariesDependOnJavaBaseOnly() {
        for (String library : SHARED_LIBRARIES) {
            classes().that().resideInAPackage(library + "..")
                    .should().onlyDependOnClassesThat().resideInAnyPackage(library + "..", "java.lang..", "java.util..",
                            "java.nio..", "java.io..")
                    .check(production);
        }
    }

    @Test
    @DisplayName("support libraries depend on the SPI and their own libraries only: never the runtime, server, CLI, testkit or a plugin")
    void supportLibrariesSeeOnlyTheSpi() {
        for (String library : supportLibraries) {
            classes().that().resideInAPackage(library + "..")
                    .should().onlyDependOnClassesThat(com.tngtech.archunit.base.DescribedPredicate.describe(
                            "the SPI, the library itself, or classes outside Caxton",
                            c -> !c.getPackageName().startsWith("dev.caxton.")
                                    || inAny(c.getPackageName(), List.of("dev.caxton.spi", library))))
                    .check(production);
        }
    }

    @Test
    @DisplayName("nothing in modules/ imports a plugin package")
    void coreNeverImportsAPlugin() {
        List<String> all = new java.util.ArrayList<>(plugins);
        all.addAll(supportLibraries);
        noClasses().that().resideInAnyPackage("dev.caxton.spi..", "dev.caxton.runtime..", "dev.caxton.server..",
                        "dev.caxton.cli..", "dev.caxton.testkit..", "dev.caxton.fipa..")
                .should().dependOnClassesThat().resideInAnyPackage(all.stream().map(p -> p + "..").toArray(String[]::new))
                .check(production);
    }

    @Test
    @DisplayName("the runtime does not depend on the server or the CLI above it")
    void layering() {
        noClasses().that().resideInAPackage("dev.caxton.runtime..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.caxton.server..", "dev.caxton.cli..")
                .check(production);
        noClasses().that().resideInAPackage("dev.caxton.server..")
                .should().dependOnClassesThat().resideInAPackage("dev.caxton.cli..")
                .check(production);
        // FIPA interop sits beside the server: it knows the runtime (through a generic external-route
        // hook), and the runtime knows nothing of FIPA.
        noClasses().that().resideInAPackage("dev.caxton.runtime..")
                .should().dependOnClassesThat().resideInAPackage("dev.caxton.fipa..")
                .check(production);
        noClasses().that().resideInAPackage("dev.caxton.fipa..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.caxton.server..", "dev.caxton.cli..",
                        "dev.caxton.testkit..")
                .check(production);
    }

    /**
     * The runtime's module descriptor, read from its classes: the rules below follow its exports, so
     * a package newly exported to one more module is checked without editing this test.
     */
    private static java.lang.module.ModuleDescriptor runtimeDescriptor() throws Exception {
        Path classes = Path.of(PluginCatalog.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return java.lang.module.ModuleFinder.of(classes).find("dev.caxton.runtime").orElseThrow().descriptor();
    }

    @Test
    @DisplayName("the runtime exports to everyone only its API: the node, the api values, config and the plugin catalog")
    void theRuntimeExportsOnlyItsApi() throws Exception {
        List<String> api = runtimeDescriptor().exports().stream().filter(e -> !e.isQualified())
                .map(java.lang.module.ModuleDescriptor.Exports::source).sorted().toList();
        assertThat(api).containsExactly("dev.caxton.runtime", "dev.caxton.runtime.api", "dev.caxton.runtime.config",
                "dev.caxton.runtime.plugin");
    }

    @Test
    @DisplayName("code outside the runtime uses its internal packages only where the runtime exports them to that module")
    void runtimeInternalsOnlyWhereExported() throws Exception {
        java.lang.module.ModuleDescriptor runtime = runtimeDescriptor();
        Map<String, java.util.Set<String>> allowed = new TreeMap<>();
        for (String pkg : runtime.packages()) {
            allowed.put(pkg, new java.util.TreeSet<>());
        }
        runtime.exports().forEach(e -> allowed.put(e.source(), e.isQualified() ? new java.util.TreeSet<>(e.targets()) : null));
        // A first-party module's root package is its name (namesAgree keeps that true for plugins).
        for (Map.Entry<String, java.util.Set<String>> e : allowed.entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            List<String> readers = new java.util.ArrayList<>(List.of("dev.caxton.runtime"));
            readers.addAll(e.getValue());
            noClasses().that(com.tngtech.archunit.base.DescribedPredicate.describe(
                            "are outside " + readers, (com.tngtech.archunit.core.domain.JavaClass c) -> !inAny(c.getPackageName(), readers)))
                    .should().dependOnClassesThat().resideInAPackage(e.getKey())
                    .because(e.getKey() + " is the runtime's own machinery, exported only to " + e.getValue())
                    .allowEmptyShould(true)
                    .check(production);
        }
    }

    @Test
    @DisplayName("no package cycles")
    void noCycles() {
        slices().matching("dev.caxton.(**)").should().beFreeOfCycles().check(production);
    }
}
