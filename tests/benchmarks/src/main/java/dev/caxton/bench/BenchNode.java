package dev.caxton.bench;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * A node in this process the way the agent benchmarks measure it: the real Chicory engine in the
 * given mode, JSON codec, memory storage, and any free transport port (two benchmark runs, or a
 * node, on the machine must not collide on 7946). Shared so that every benchmark that compares
 * against {@code AgentBenchmarks} measures the same node.
 */
final class BenchNode {

    private BenchNode() {
    }

    /**
     * Starts a node.
     *
     * @param chicoryMode {@code compiler} or {@code interpreter}
     * @param extra       further {@code caxton.*} properties, applied last
     * @return the node and the temporary directory it keeps its data in
     */
    static Started start(String chicoryMode, Map<String, String> extra) {
        try {
            Path dataDir = Files.createTempDirectory("caxton-bench");
            Properties props = new Properties();
            props.setProperty("caxton.storage.type", "memory");
            props.setProperty("caxton.runtime.chicory.mode", chicoryMode);
            props.setProperty("caxton.runtime.max_agents", "1000000");
            props.setProperty("caxton.transport.port", "0");
            extra.forEach(props::setProperty);
            PluginCatalog catalog = PluginCatalog.discover(null);
            CaxtonConfig config = CaxtonConfig.parse("benchmark", "", catalog, props);
            return new Started(CaxtonNode.start(config, catalog, dataDir), dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param name a resource of this module, such as {@code /echo.wasm}
     * @return its bytes
     */
    static byte[] resource(String name) {
        try (InputStream in = BenchNode.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the benchmark classpath (built into target/classes?)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Prints how many requests the node routed and how many ran on the caller's thread: a report
     * line, so a run shows which path it measured.
     *
     * @param tag  the benchmark's name in the line
     * @param node the node
     */
    static void reportPaths(String tag, CaxtonNode node) {
        Map<String, Long> c = node.counters();
        System.out.println("[" + tag + "] messages routed " + c.get("messages_routed") + ", run inline "
                + c.get("messages_inline") + ", instance pool hits " + c.get("instance_pool_hits") + ", misses "
                + c.get("instance_pool_misses"));
    }

    /**
     * A started node.
     *
     * @param node    the node
     * @param dataDir where it keeps its data
     */
    record Started(CaxtonNode node, Path dataDir) {
    }
}
