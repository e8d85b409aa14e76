/**
 * The Caxton server: the management API ({@code /api/v1}, JSON over HTTP, token-authenticated)
 * and the Prometheus metrics endpoint, on top of a {@link dev.caxton.runtime.CaxtonNode}.
 *
 * <p>It uses the JDK's own HTTP server ({@code jdk.httpserver}) so the image needs no web
 * framework; requests run on virtual threads.
 */
module dev.caxton.server {
    requires transitive dev.caxton.runtime;
    requires jdk.httpserver;
    requires java.logging;
    requires com.fasterxml.jackson.databind;
    // SIGTERM handling, so a stopped server exits 0 after draining (the JDK has no public signal API).
    requires jdk.unsupported;

    exports dev.caxton.server;
}
