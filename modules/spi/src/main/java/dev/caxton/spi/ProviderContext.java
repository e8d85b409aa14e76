package dev.caxton.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the runtime hands a provider when it asks it to create its service.
 *
 * <p>Providers never import each other, yet some need what another provider runs: a membership
 * provider talks to its peers over the node's transport. The runtime creates providers in a fixed
 * order (storage, serializer, engine, transport, membership) and offers the services started so far
 * through {@link #service(Class)}, keyed by the SPI type the service implements.
 *
 * @param config   the provider's own configuration section, already checked against
 *                 {@link Provider#options()}
 * @param dataDir  the node's data directory; a provider keeps its files below it (for instance in a
 *                 sub-directory named after itself) and never elsewhere
 * @param nodeName the name of this node, for logs and for providers that identify themselves to peers
 * @param services services of other providers (and of the runtime) this provider may use, by the SPI
 *                 type they implement; empty for providers created first
 */
public record ProviderContext(ProviderConfig config, Path dataDir, String nodeName, Map<Class<?>, Object> services) {

    /**
     * Validates the parts and copies the service map.
     *
     * @throws NullPointerException     when a part is null
     * @throws IllegalArgumentException when a service does not implement the type it is filed under
     */
    public ProviderContext {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(nodeName, "nodeName");
        services = Map.copyOf(services);
        for (var e : services.entrySet()) {
            if (!e.getKey().isInstance(e.getValue())) {
                throw new IllegalArgumentException("service filed under " + e.getKey().getName()
                        + " does not implement it: " + e.getValue().getClass().getName());
            }
        }
    }

    /**
     * A context without services from other providers.
     *
     * @param config   the provider's configuration
     * @param dataDir  the data directory
     * @param nodeName this node's name
     */
    public ProviderContext(ProviderConfig config, Path dataDir, String nodeName) {
        this(config, dataDir, nodeName, Map.of());
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

    /**
     * A service the runtime offers this provider.
     *
     * @param type the SPI type, e.g. {@code MembershipChannel.class}
     * @param <T>  that type
     * @return the service, or empty when the node runs none of that type (or not yet)
     */
    public <T> Optional<T> service(Class<T> type) {
        return Optional.ofNullable(services.get(type)).map(type::cast);
    }

    /**
     * A copy of this context with one more service.
     *
     * @param type    the SPI type the service is filed under
     * @param service the service
     * @param <T>     that type
     * @return the new context
     */
    public <T> ProviderContext withService(Class<T> type, T service) {
        var m = new java.util.HashMap<>(services);
        m.put(type, service);
        return new ProviderContext(config, dataDir, nodeName, m);
    }
}
