package dev.caxton.tests;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rules that keep Caxton a plugin platform: the SPI stands alone, plugins see only the SPI, their
 * own libraries and first-party support libraries, support libraries see only the SPI, and the core
 * never reaches into either. A change that breaks one fails the build.
 */
class ArchitectureTest {

    /**
     * First-party support libraries: code several plugins share that does not belong in the SPI
     * (it needs a third-party library, like Netty). A library, not a provider: it lives in each
     * using plugin's folder.
     */
    private static final List<String> SUPPORT_LIBRARIES = List.of("dev.caxton.transport.netty");

    private static boolean inAny(String pkg, List<String> roots) {
        return roots.stream().anyMatch(r -> pkg.equals(r) || pkg.startsWith(r + "."));
    }

    private static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.caxton");
    }

    @Test
    @DisplayName("every module was imported (a rule over nothing would pass vacuously)")
    void everyModuleIsImported() {
        List<String> expected = List.of("dev.caxton.spi", "dev.caxton.runtime", "dev.caxton.server", "dev.caxton.cli",
                "dev.caxton.testkit", "dev.caxton.engine.chicory", "dev.caxton.serializer.json",
                "dev.caxton.serializer.msgpack", "dev.caxton.storage.memory",
                "dev.caxton.storage.sqlite", "dev.caxton.membership.fixed", "dev.caxton.engine.wasmtime",
                "dev.caxton.membership.swim", "dev.caxton.membership.jgroups",
                "dev.caxton.transport.tcp", "dev.caxton.transport.quic", "dev.caxton.transport.netty");
        for (String p : expected) {
            assertThat(production.stream().anyMatch(c -> c.getPackageName().startsWith(p)))
                    .as("classes of %s imported", p).isTrue();
        }
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
    @DisplayName("plugins depend on the SPI, their own libraries and first-party support libraries, never on the core or each other")
    void pluginsSeeOnlyTheSpi() {
        for (String plugin : List.of("engine.chicory", "engine.wasmtime", "serializer.json", "serializer.msgpack", "storage.memory",
                "storage.sqlite", "membership.fixed", "transport.tcp", "transport.quic", "membership.swim",
                "membership.jgroups")) {
            ArchRule rule = noClasses().that().resideInAPackage("dev.caxton." + plugin + "..")
                    .should().dependOnClassesThat().resideInAnyPackage("dev.caxton.runtime..", "dev.caxton.server..",
                            "dev.caxton.cli..", "dev.caxton.testkit..")
                    .orShould().dependOnClassesThat(
                            com.tngtech.archunit.base.DescribedPredicate.describe("another plugin's classes",
                                    c -> c.getPackageName().startsWith("dev.caxton.")
                                            && !c.getPackageName().startsWith("dev.caxton." + plugin)))
                    .orShould().dependOnClassesThat(
                            com.tngtech.archunit.base.DescribedPredicate.describe(
                                    "Caxton classes other than the SPI's, its own and a support library's",
                                    c -> c.getPackageName().startsWith("dev.caxton.")
                                            && !inAny(c.getPackageName(), List.of("dev.caxton.spi", "dev.caxton." + plugin))
                                            && !inAny(c.getPackageName(), SUPPORT_LIBRARIES)));
            rule.check(production);
        }
    }

    @Test
    @DisplayName("support libraries depend on the SPI and their own libraries only: never the runtime, server, CLI, testkit or a plugin")
    void supportLibrariesSeeOnlyTheSpi() {
        for (String library : SUPPORT_LIBRARIES) {
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
        noClasses().that().resideInAnyPackage("dev.caxton.spi..", "dev.caxton.runtime..", "dev.caxton.server..",
                        "dev.caxton.cli..", "dev.caxton.testkit..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.caxton..", "dev.caxton.transport..")
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
    }

    @Test
    @DisplayName("no package cycles")
    void noCycles() {
        slices().matching("dev.caxton.(**)").should().beFreeOfCycles().check(production);
    }
}
