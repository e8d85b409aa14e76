package dev.caxton.storage.memory;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageProvider;

/**
 * The {@code memory} storage provider: a store that lives in the heap and forgets everything when
 * the node stops. It takes no options.
 */
public final class MemoryStorageProvider implements StorageProvider {

    /** The name {@code storage.type} selects this provider by. */
    public static final String NAME = "memory";

    /** Creates the provider; cheap and free of side effects, as the runtime instantiates every provider. */
    public MemoryStorageProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Everything in memory; nothing survives a restart";
    }

    /**
     * Opens an empty in-memory store.
     *
     * @param context the configuration section, which must be empty since this provider has no options
     * @return the store
     * @throws ConfigException when the section holds any key
     */
    @Override
    public Storage open(ProviderContext context) {
        // The runtime already rejects undeclared keys; checking again keeps embedders who build the
        // context themselves from believing a misspelt option had an effect.
        if (!context.config().keys().isEmpty()) {
            String key = context.config().keys().iterator().next();
            throw new ConfigException(context.config().fullKey(key),
                    "unknown option; the memory storage has no options");
        }
        return new MemoryStorage();
    }
}
