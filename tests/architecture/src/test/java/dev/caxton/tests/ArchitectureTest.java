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
 * The rules that keep Caxton a plugin platform: the SPI stands alone, plugins see only the SPI,
 * and the core never reaches into a plugin. A change that breaks one fails the build.
 */
class ArchitectureTest {

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
                "dev.caxton.testkit", "dev.caxton.plugin.engine.chicory", "dev.caxton.plugin.serializer.json",
                "dev.caxton.plugin.serializer.msgpack", "dev.caxton.plugin.storage.memory",
                "dev.caxton.plugin.storage.sqlite", "dev.caxton.plugin.membership.fixed", "dev.caxton.plugin.engine.wasmtime",
                "dev.caxton.plugin.transport.tcp", "dev.caxton.plugin.transport.quic", "dev.caxton.plugin.membership.jgroups");
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
    @DisplayName("plugins depend on the SPI and their own libraries, never on the core or each other")
    void pluginsSeeOnlyTheSpi() {
        for (String plugin : List.of("engine.chicory", "engine.wasmtime", "serializer.json", "serializer.msgpack", "storage.memory",
                "storage.sqlite", "membership.fixed", "transport.tcp", "transport.quic", "membership.jgroups")) {
            ArchRule rule = noClasses().that().resideInAPackage("dev.caxton.plugin." + plugin + "..")
                    .should().dependOnClassesThat().resideInAnyPackage("dev.caxton.runtime..", "dev.caxton.server..",
                            "dev.caxton.cli..", "dev.caxton.testkit..")
                    .orShould().dependOnClassesThat(
                            com.tngtech.archunit.base.DescribedPredicate.describe("another plugin's classes",
                                    c -> c.getPackageName().startsWith("dev.caxton.plugin.")
                                            && !c.getPackageName().startsWith("dev.caxton.plugin." + plugin)));
            rule.check(production);
        }
    }

    @Test
    @DisplayName("nothing in modules/ imports a plugin package")
    void coreNeverImportsAPlugin() {
        noClasses().that().resideInAnyPackage("dev.caxton.spi..", "dev.caxton.runtime..", "dev.caxton.server..",
                        "dev.caxton.cli..", "dev.caxton.testkit..")
                .should().dependOnClassesThat().resideInAPackage("dev.caxton.plugin..")
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
