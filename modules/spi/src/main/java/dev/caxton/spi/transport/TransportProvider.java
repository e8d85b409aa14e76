package dev.caxton.spi.transport;

import dev.caxton.spi.Provider;
import dev.caxton.spi.ProviderContext;

/**
 * Creates {@link Transport}s; selected by {@code transport.type}, configured by the section
 * {@code transport.<name>} (for instance {@code transport.tcp.max_frame_size}).
 *
 * <p>Creating and starting are separate steps so that a node can build (and validate) every
 * service before it takes any resource, and release what it took in reverse order when a later
 * step fails: {@link #create} reads and checks the configuration only, {@link Transport#start}
 * takes the threads and the socket, {@link Transport#close} gives them back.
 */
public interface TransportProvider extends Provider {

    /**
     * Creates a transport without taking any resource: no thread, socket or file is opened until
     * {@link Transport#start}. Configuration errors (an unreadable certificate path, an inconsistent
     * pair of water marks) are reported here, before anything starts.
     *
     * @param context the provider's configuration section; {@link ProviderContext#nodeName()} is the
     *                identity this transport presents to its peers in the connection handshake
     * @return the transport, not yet started
     * @throws dev.caxton.spi.ConfigException when the configuration is unusable; the message names
     *                                        the key
     */
    Transport create(ProviderContext context);
}
