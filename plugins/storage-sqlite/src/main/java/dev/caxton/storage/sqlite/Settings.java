package dev.caxton.storage.sqlite;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ConfigOption.Type;
import dev.caxton.spi.ProviderConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The options of the {@code storage.sqlite} section, read and checked once.
 *
 * @param path          the database file
 * @param busyTimeout   how long a statement waits for a lock held elsewhere
 * @param cacheBytes    the page cache per connection
 * @param mmapBytes     how much of the file is memory-mapped
 * @param synchronous   the {@code PRAGMA synchronous} level ({@code OFF}, {@code NORMAL}, {@code FULL})
 * @param readers       the number of reader connections
 */
record Settings(Path path, Duration busyTimeout, long cacheBytes, long mmapBytes, String synchronous, int readers) {

    private static final long KB = 1024;
    private static final long MB = 1024 * KB;
    private static final long GB = 1024 * MB;

    /** Every option the provider declares. */
    static final List<ConfigOption> OPTIONS = List.of(
            ConfigOption.of("path", Type.PATH, "caxton.db",
                    "The database file. A relative path is relative to the data directory; the file and its "
                            + "parent directories are created when missing."),
            ConfigOption.ranged("busy_timeout", Type.DURATION, "5s",
                    "How long a statement waits for a lock held by another process using the same file "
                            + "before it fails.", 0, Duration.ofMinutes(10).toMillis()),
            ConfigOption.ranged("cache_size", Type.SIZE, "64000KB",
                    "The page cache of each connection (PRAGMA cache_size, given in KiB; the default is the tuning guide's -64000).", 64 * KB, 16 * GB),
            ConfigOption.ranged("mmap_size", Type.SIZE, "256MB",
                    "How much of the file reads may memory-map (PRAGMA mmap_size); 0 turns memory mapping off.",
                    0, 64 * GB),
            ConfigOption.oneOf("synchronous", "normal",
                    "When commits reach the disk (PRAGMA synchronous). full: at every commit, so a power loss "
                            + "loses nothing; normal: at checkpoints, so a crash of the node loses nothing but a "
                            + "power loss may lose the latest commits; off: left to the operating system.",
                    "off", "normal", "full"),
            ConfigOption.ranged("pool_size", Type.INTEGER, "4",
                    "How many connections serve reads. Reads run in parallel with each other and with the "
                            + "one connection that writes.", 1, 64));

    /**
     * Reads the section, rejecting unknown keys and values out of range.
     *
     * @param config  the section
     * @param dataDir the data directory relative paths are resolved against
     * @return the settings
     * @throws ConfigException naming the full key when something is wrong
     */
    static Settings from(ProviderConfig config, Path dataDir) {
        // The runtime checks the section against OPTIONS before the provider sees it; checking again
        // here costs nothing and protects embedders who build a ProviderContext themselves.
        for (String key : config.keys()) {
            ConfigOption option = OPTIONS.stream().filter(o -> o.key().equals(key)).findFirst()
                    .orElseThrow(() -> new ConfigException(config.fullKey(key), "unknown option; the sqlite storage "
                            + "accepts " + OPTIONS.stream().map(ConfigOption::key).collect(Collectors.joining(", "))));
            option.check(config.fullKey(key), config.raw(key).orElseThrow());
        }
        return new Settings(
                config.path("path", dataDir, "caxton.db").toAbsolutePath().normalize(),
                config.duration("busy_timeout", Duration.ofSeconds(5)),
                config.size("cache_size", 64_000 * KB),
                config.size("mmap_size", 256 * MB),
                config.string("synchronous", "normal").toUpperCase(Locale.ROOT),
                Math.toIntExact(config.integer("pool_size", 4)));
    }

    /**
     * The value of {@code PRAGMA cache_size}: negative means KiB rather than pages, which keeps the
     * cache the configured size whatever the page size of the file.
     *
     * @return minus the cache size in KiB
     */
    long cacheSizePragma() {
        return -Math.max(1, cacheBytes / KB);
    }
}
