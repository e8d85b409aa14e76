package dev.caxton.spi.storage;

import dev.caxton.spi.Provider;
import dev.caxton.spi.ProviderContext;

/**
 * Opens {@link Storage}; selected by {@code storage.type} (first-party names {@code sqlite} and
 * {@code memory}).
 */
public interface StorageProvider extends Provider {

    /**
     * Opens (creating or migrating as needed) the store. Called once per node.
     *
     * @param context the provider's configuration section and the data directory
     * @return an open, thread-safe storage
     * @throws StorageException when the store cannot be opened; the message says where and why
     */
    Storage open(ProviderContext context);
}
