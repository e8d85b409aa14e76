package dev.caxton.server;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageException;
import dev.caxton.spi.storage.StorageProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Storage for the server's backup tests ({@code storage.type: fake-file}): the memory store, plus a
 * backup that writes known bytes, can be held at a gate, or can fail, so the API's handling is
 * tested without a SQLite file.
 */
public final class FakeFileStorageProvider implements StorageProvider {

    /** What every backup writes. */
    static final String CONTENT = "SQLite format 3\0 a fake backup of a fake store";

    /** Backups started. */
    static final AtomicInteger STARTED = new AtomicInteger();
    /** Released once per backup allowed to finish; tests that do not hold backups leave it open. */
    static volatile Semaphore gate;
    /** Counted down when a backup reaches the gate. */
    static volatile CountDownLatch atGate = new CountDownLatch(0);
    /** When above zero, backups write this many bytes of a repeating pattern instead of {@link #CONTENT}. */
    static volatile int size;
    /** When set, backups fail with this message. */
    static volatile String failure;
    /** When set, every store answers with a failure, as a storage whose disk went away would. */
    static volatile boolean unavailable;

    /** Creates the provider. */
    public FakeFileStorageProvider() {
    }

    @Override
    public String name() {
        return "fake-file";
    }

    @Override
    public Storage open(ProviderContext context) {
        Storage memory = ServiceLoader.load(StorageProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("memory")).findFirst().orElseThrow().open(context);
        // A proxy over the memory store rather than a class, so this fake keeps compiling when the
        // Storage interface gains methods: everything but backup goes to the memory store.
        return (Storage) Proxy.newProxyInstance(Storage.class.getClassLoader(), new Class<?>[] {Storage.class},
                (proxy, method, args) -> {
                    if (unavailable && !method.getName().equals("close") && !method.getName().equals("durable")) {
                        throw new StorageException("storage made unavailable by the test");
                    }
                    if (method.getName().equals("backup")) {
                        backup((Path) args[0]);
                        return null;
                    }
                    try {
                        return method.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static void backup(Path target) {
        STARTED.incrementAndGet();
        atGate.countDown();
        Semaphore g = gate;
        if (g != null) {
            g.acquireUninterruptibly();
        }
        if (failure != null) {
            throw new StorageException(failure);
        }
        try {
            int n = size;
            Files.write(target, n > 0 ? pattern(n) : CONTENT.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code n} bytes cycling through the letters, so a byte out of place shows. */
    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return b;
    }
}
