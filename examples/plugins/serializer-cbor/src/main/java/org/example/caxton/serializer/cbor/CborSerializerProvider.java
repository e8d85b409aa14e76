package org.example.caxton.serializer.cbor;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
import java.util.Objects;

/**
 * The {@code cbor} serializer provider: envelopes and values as CBOR (RFC 8949). It has no options;
 * the bounds it enforces come from the {@link SerializerLimits} the node creates it with.
 */
public final class CborSerializerProvider implements SerializerProvider {

    /** The provider name, as {@code messaging.serializer} and an agent's {@code codec} spell it. */
    public static final String NAME = "cbor";

    /** Creates the provider; it does nothing else, as {@link java.util.ServiceLoader} expects. */
    public CborSerializerProvider() {
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
        return "Envelopes and values as CBOR (RFC 8949), an example third-party plugin";
    }

    /**
     * Creates a CBOR serializer enforcing the given limits.
     *
     * @param context not used: the serializer has no options and keeps no files
     * @param limits  the bounds decoding enforces
     * @return a thread-safe serializer
     */
    @Override
    public Serializer create(ProviderContext context, SerializerLimits limits) {
        Objects.requireNonNull(context, "context");
        return new CborSerializer(Objects.requireNonNull(limits, "limits"));
    }
}
