package dev.caxton.storage.sqlite;

import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.storage.Storage;
import dev.caxton.spi.storage.StorageProvider;
import java.util.List;

/**
 * The {@code sqlite} storage provider: everything a node keeps, in one SQLite file below its data
 * directory. See {@link Settings} for the options.
 */
public final class SqliteStorageProvider implements StorageProvider {

    /** The name {@code storage.type} selects this provider by. */
    public static final String NAME = "sqlite";

    /** Creates the provider; cheap and free of side effects, as the runtime instantiates every provider. */
    public SqliteStorageProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "A SQLite file in WAL mode, schema by versioned migrations";
    }

    @Override
    public List<ConfigOption> options() {
        return Settings.OPTIONS;
    }

    /**
     * Opens the database file, creating it (and its directories) or migrating it as needed.
     *
     * @param context the {@code storage.sqlite} section and the data directory
     * @return the open store
     * @throws dev.caxton.spi.ConfigException when an option is unknown or out of range
     * @throws dev.caxton.spi.storage.StorageException when the file cannot be opened or migrated;
     *         the message names the file
     */
    @Override
    public Storage open(ProviderContext context) {
        return SqliteStorage.open(Settings.from(context.config(), context.dataDir()));
    }
}
