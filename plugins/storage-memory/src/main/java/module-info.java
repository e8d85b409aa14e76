/**
 * Storage kept entirely in the node's memory: deployed agents, the outbox, dead letters and
 * conversation history live in concurrent maps and are gone when the node stops. Meant for tests,
 * development and nodes whose work is disposable; select it with {@code storage.type: memory}.
 *
 * <p>It has no options and no size cap: it holds everything it is given until it is told to remove
 * it, as the storage SPI asks (dead letters, in particular, leave only by an explicit removal).
 * Dropping data silently to bound memory would make it lie about what it holds; a node that must
 * bound its memory uses a durable store instead.
 */
module dev.caxton.storage.memory {
    requires dev.caxton.spi;

    provides dev.caxton.spi.storage.StorageProvider with dev.caxton.storage.memory.MemoryStorageProvider;
}
