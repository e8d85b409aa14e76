package dev.caxton.spi;

import java.nio.file.Path;

/**
 * What the runtime hands a provider when it asks it to create its service.
 *
 * @param config  the provider's own configuration section, already checked against
 *                {@link Provider#options()}
 * @param dataDir the node's data directory; a provider keeps its files below it (for instance in a
 *                sub-directory named after itself) and never elsewhere
 * @param nodeName the name of this node, for logs and for providers that identify themselves to peers
 */
public record ProviderContext(ProviderConfig config, Path dataDir, String nodeName) {

    /**
     * Validates the parts.
     *
     * @throws NullPointerException when a part is null
     */
    public ProviderContext {
        java.util.Objects.requireNonNull(config, "config");
        java.util.Objects.requireNonNull(dataDir, "dataDir");
        java.util.Objects.requireNonNull(nodeName, "nodeName");
    }

    /**
     * A context for tests and embedding: the given configuration, the given data directory and the
     * node name {@code "local"}.
     *
     * @param config  the provider's configuration
     * @param dataDir the data directory
     * @return the context
     */
    public static ProviderContext of(ProviderConfig config, Path dataDir) {
        return new ProviderContext(config, dataDir, "local");
    }
}
