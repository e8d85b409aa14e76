package dev.caxton.spi.serializer;

import dev.caxton.spi.Provider;
import dev.caxton.spi.ProviderContext;

/**
 * Creates {@link Serializer}s. Registered with {@code provides
 * dev.caxton.spi.serializer.SerializerProvider with ...} in the plugin's {@code module-info}, or in
 * {@code META-INF/services} on the class path.
 *
 * <p>The {@link #name()} is both the value of {@code messaging.serializer} and of an agent's
 * {@code codec}; first-party names are {@code json} and {@code msgpack}.
 */
public interface SerializerProvider extends Provider {

    /**
     * Creates a serializer with the given limits. Called once per distinct limits; the result is
     * shared by many threads.
     *
     * @param context the provider's configuration and the node's data directory
     * @param limits  the bounds decoding must enforce
     * @return a thread-safe serializer
     */
    Serializer create(ProviderContext context, SerializerLimits limits);
}
