package dev.caxton.testkit.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageProvider;
import org.junit.jupiter.api.Test;

/** The storage fake passes the storage suite, and says so when a test uses it after closing it. */
class FakeStorageConformanceTest extends StorageConformance {

    @Override
    protected StorageProvider provider() {
        return new FakeStorageProvider();
    }

    @Test
    void theFakeIsNamedFakeAndKeepsNothingAcrossRestarts() {
        assertThat(provider().name()).isEqualTo("fake");
        assertThat(storage.durable()).isFalse();
    }

    @Test
    void aClosedFakeRefusesUseWithAClearMessage() {
        storage.close();
        assertThatThrownBy(() -> storage.agents().list()).isInstanceOf(StorageException.class)
                .hasMessageContaining("closed");
        storage = null;
    }
}
