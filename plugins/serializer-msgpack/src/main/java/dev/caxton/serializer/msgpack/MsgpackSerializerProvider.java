package dev.caxton.serializer.msgpack;

import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.serializer.Serializer;
import dev.caxton.spi.serializer.SerializerLimits;
import dev.caxton.spi.serializer.SerializerProvider;
import java.util.Objects;

/**
 * The {@code msgpack} serializer: envelopes and values as MessagePack. It has no options; the bounds
 * it enforces come from the {@link SerializerLimits} it is created with.
 */
public final class MsgpackSerializerProvider implements SerializerProvider {

    /** The provider name, as {@code messaging.serializer} and an agent's {@code codec} spell it. */
    public static final String NAME = "msgpack";

    /** Creates the provider; cheap and free of side effects, as {@link java.util.ServiceLoader} needs. */
    public MsgpackSerializerProvider() {
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
        return "Envelopes and values as MessagePack, limited to the types JSON has";
    }

    /**
     * Creates a MessagePack serializer enforcing the given limits.
     *
     * @param context unused: the serializer needs no configuration and no files
     * @param limits  the bounds decoding enforces
     * @return a thread-safe serializer
     */
    @Override
    public Serializer create(ProviderContext context, SerializerLimits limits) {
        Objects.requireNonNull(context, "context");
        return new MsgpackSerializer(Objects.requireNonNull(limits, "limits"));
    }
}
