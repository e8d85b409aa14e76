package dev.caxton.tests;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.NodeException;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.spi.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The node opens the transport its configuration selects, or refuses to start saying why. */
class TransportStartTest {

    @TempDir
    Path dir;

    private static CaxtonConfig config(String yaml) {
        return CaxtonConfig.parse("test", "storage:\n  type: sqlite\n" + yaml, PluginCatalog.discover(null), new Properties());
    }

    @Test
    void anUnknownTransportTypeFailsAtStartNamingTheKey() {
        assertThatThrownBy(() -> config("transport:\n  type: carrier-pigeon\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("transport.type").hasMessageContaining("carrier-pigeon");
    }

    @Test
    void theNodeListensOnTheTransportPortAndReleasesItWhenStopped() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        CaxtonNode node = CaxtonNode.start(config("transport:\n  type: tcp\n  port: " + port + "\n"),
                PluginCatalog.discover(null), dir.resolve("a"));
        try {
            assertThat(node.status().get("transport_address")).isEqualTo("127.0.0.1:" + port);
            assertThat(((java.util.Map<?, ?>) node.status().get("providers")).get("transport")).isEqualTo("tcp");
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(s.isConnected()).isTrue();
            }
            // The node publishes its API address and agent count through the membership.
            assertThat(self(node)).containsEntry("agents", "0").containsKeys("api", "version", "spi");
            node.deploy(new dev.caxton.runtime.api.DeploySpec("counter",
                    java.nio.file.Files.readAllBytes(Image.example("counter/counter.wasm")), java.util.List.of(),
                    null, null, null, null));
            assertThat(self(node)).containsEntry("agents", "1");
            node.undeploy("counter");
            assertThat(self(node)).containsEntry("agents", "0");
        } finally {
            node.close();
        }
        // Released on close: a new node takes the same port.
        CaxtonNode again = CaxtonNode.start(config("transport:\n  type: tcp\n  port: " + port + "\n"),
                PluginCatalog.discover(null), dir.resolve("a"));
        again.close();
    }

    private static java.util.Map<String, String> self(CaxtonNode node) {
        return node.members().stream().filter(m -> m.id().value().equals(node.config().string("server.node_name")))
                .findFirst().orElseThrow().metadata();
    }

    @Test
    void aTakenTransportPortStopsTheStartAndReleasesWhatWasOpened() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> CaxtonNode.start(config("transport:\n  type: tcp\n  port: " + port + "\n"),
                    PluginCatalog.discover(null), dir.resolve("b")))
                    .isInstanceOf(NodeException.class)
                    .hasMessageContaining("transport.host:transport.port").hasMessageContaining(Integer.toString(port));
        }
        // The storage opened before the failing step was closed: the same data directory starts cleanly.
        CaxtonNode node = CaxtonNode.start(config("transport:\n  port: 0\n"), PluginCatalog.discover(null), dir.resolve("b"));
        node.close();
    }
}
