package dev.caxton.storage.sqlite;

import dev.caxton.spi.storage.StorageProvider;
import dev.caxton.testkit.storage.StorageConformance;

/** The SQLite store against the storage conformance suite, with every option at its default. */
class SqliteStorageConformanceTest extends StorageConformance {

    @Override
    protected StorageProvider provider() {
        return new SqliteStorageProvider();
    }
}
