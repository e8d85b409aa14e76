package dev.caxton.spi.transport;

import dev.caxton.spi.Provider;
import dev.caxton.spi.ProviderContext;

/** Creates {@link Transport}s; selected by {@code transport.type}. */
public interface TransportProvider extends Provider {

    /**
     * Creates a transport (event loops, TLS context). Nothing listens until {@link Transport#listen}.
     *
     * @param context the provider's configuration section (TLS, buffer sizes, frame limit)
     * @return the transport
     */
    Transport create(ProviderContext context);
}
