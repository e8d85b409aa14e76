package dev.caxton.spi;

import java.util.List;

/**
 * What every provider of every SPI has: a name the configuration selects it by, a one-line
 * description for {@code caxton plugins list}, and the options its configuration section accepts.
 *
 * <p>A provider class is what {@link java.util.ServiceLoader} instantiates, so it must be cheap to
 * construct and free of side effects: the runtime instantiates every provider it finds to list them,
 * and only asks the selected one to {@code create} anything.
 */
public interface Provider {

    /**
     * The name the configuration uses to select this provider, e.g. {@code "sqlite"} for
     * {@code storage.type: sqlite}. Lowercase letters, digits and hyphens; unique per SPI.
     *
     * @return the provider's name
     */
    String name();

    /**
     * One line for humans, shown by {@code caxton plugins list}.
     *
     * @return a short description; empty by default
     */
    default String description() {
        return "";
    }

    /**
     * The keys of this provider's own configuration section, with their types, defaults and
     * meaning. The runtime rejects any key in the section that is not listed here, so every option
     * a provider reads must be declared.
     *
     * @return the declared options; none by default
     */
    default List<ConfigOption> options() {
        return List.of();
    }

    /**
     * Checks the values of this provider's section beyond what each option's type and range say
     * (formats, combinations), exactly as opening the provider would, but without side effects. The
     * runtime calls it whenever it reads a configuration, so {@code caxton config validate} refuses
     * what {@code caxton server start} would refuse.
     *
     * @param config the provider's section, already checked against {@link #options()}
     * @throws ConfigException naming the full key and what is allowed, when a value is refused
     */
    default void check(ProviderConfig config) {
    }
}
