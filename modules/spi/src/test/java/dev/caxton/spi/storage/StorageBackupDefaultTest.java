package dev.caxton.spi.storage;

import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A store that does not override {@link Storage#backup} says plainly that it cannot be backed up. */
class StorageBackupDefaultTest {

    @Test
    void theDefaultRefusesWithAMessageAndWritesNothing() {
        // A proxy rather than a class, so the test does not change when the interface gains methods.
        Storage store = (Storage) Proxy.newProxyInstance(Storage.class.getClassLoader(), new Class<?>[] {Storage.class},
                (proxy, method, args) -> method.isDefault() ? InvocationHandler.invokeDefault(proxy, method, args) : null);
        Path target = Path.of(System.getProperty("java.io.tmpdir"), "never-written-" + System.nanoTime() + ".db");
        assertThatThrownBy(() -> store.backup(target)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("this storage cannot be backed up to a file");
        assertThat(Files.exists(target)).isFalse();
    }
}
