package dev.caxton.storage.memory;

import dev.caxton.spi.storage.StorageProvider;
import dev.caxton.testkit.storage.StorageConformance;

/** The memory store against the storage conformance suite. */
class MemoryStorageConformanceTest extends StorageConformance {

    @Override
    protected StorageProvider provider() {
        return new MemoryStorageProvider();
    }
}
