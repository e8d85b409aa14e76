/**
 * The {@code caxton} command line: starts a node ({@code server start}), works on local files and
 * plugins ({@code config validate}, {@code plugins list}) and drives a running node through its
 * management API ({@code agent}, {@code message}, {@code dead-letters}, {@code cluster}).
 *
 * <p>The launcher runs {@code dev.caxton.cli.Main}. Nothing is exported: the module is an
 * application, not a library. Its one package is opened to picocli, which builds the commands from
 * their annotations by reflection.
 */
module dev.caxton.cli {
    requires dev.caxton.spi;
    requires dev.caxton.runtime;
    requires dev.caxton.server;
    requires info.picocli;
    requires java.logging;
    requires com.fasterxml.jackson.databind;

    opens dev.caxton.cli to info.picocli;
}
