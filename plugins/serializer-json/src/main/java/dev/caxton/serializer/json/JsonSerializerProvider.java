package dev.caxton.serializer.json;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
import java.util.Objects;

/**
 * The {@code json} serializer: envelopes and values as compact UTF-8 JSON. It has no options; the
 * bounds it enforces come from the {@link SerializerLimits} it is created with.
 */
public final class JsonSerializerProvider implements SerializerProvider {

    /** The provider name, as {@code messaging.serializer} and an agent's {@code codec} spell it. */
    public static final String NAME = "json";

    /** Creates the provider; cheap and free of side effects, as {@link java.util.ServiceLoader} needs. */
    public JsonSerializerProvider() {
    }

    /**
     * The provider name.
     *
     * @return {@value #NAME}
     */
    @Override
    public String name() {
        return NAME;
    }

    /**
     * One line for {@code caxton plugins list}.
     *
     * @return the description
     */
    @Override
    public String description() {
        return "Envelopes and values as compact UTF-8 JSON (RFC 8259), strictly parsed";
    }

    /**
     * Creates a JSON serializer enforcing the given limits.
     *
     * @param context unused: the serializer needs no configuration and no files
     * @param limits  the bounds decoding enforces
     * @return a thread-safe serializer
     */
    @Override
    public Serializer create(ProviderContext context, SerializerLimits limits) {
        Objects.requireNonNull(context, "context");
        return new JsonSerializer(Objects.requireNonNull(limits, "limits"));
    }
}
