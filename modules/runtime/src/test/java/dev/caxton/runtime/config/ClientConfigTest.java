package dev.caxton.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.runtime.plugin.Spi;
import dev.caxton.spi.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client command reads the configuration without discovering plugins: the core keys it needs are
 * checked as for a node, provider names and sections are left to the node.
 */
class ClientConfigTest {

    @TempDir
    Path dir;

    private Path file(String yaml) throws IOException {
        Path f = dir.resolve("caxton.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void providerSectionsAndNamesAreTakenAsWrittenWithoutAnyPluginInstalled() throws IOException {
        CaxtonConfig c = CaxtonConfig.loadForClient(file("""
                server:
                  host: 127.0.0.2
                  port: 18123
                  data_dir: /var/lib/caxton
                storage:
                  type: some-third-party-store
                  some-third-party-store:
                    path: /srv/x
                """));
        assertThat(c.apiUrl()).isEqualTo("http://127.0.0.2:18123");
        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/caxton"));
        assertThat(c.providerName(Spi.STORAGE)).isEqualTo("some-third-party-store");
    }

    @Test
    void aBadCoreValueIsStillRefusedNamingTheKey() throws IOException {
        Path f = file("server:\n  port: 70000\n");
        assertThatThrownBy(() -> CaxtonConfig.loadForClient(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("server.port")
                .hasMessageContaining(f.toString());
    }
}
