package dev.caxton.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The {@code --config} and {@code --data-dir} options: where a node's configuration and data live.
 * {@code server start} uses them to run a node; client commands use them to find the node's API
 * address and its token.
 */
final class ConfigOptions {

    @Option(names = "--config", order = 103, paramLabel = "FILE",
            description = "The configuration file (default: <caxton.home>/conf/caxton.yaml when it exists, else built-in defaults).")
    private Path config;

    @Option(names = "--data-dir", order = 104, paramLabel = "DIR",
            description = "The node's data directory (default: server.data_dir of the configuration, ./data).")
    private Path dataDir;

    /**
     * The configuration file given on the command line.
     *
     * @return the file, or null
     */
    Path config() {
        return config;
    }

    /**
     * The data directory given on the command line.
     *
     * @return the directory, or null
     */
    Path dataDir() {
        return dataDir;
    }
}
