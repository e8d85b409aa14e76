package dev.caxton.runtime.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caxton.spi.serializer.SerializationException;
import dev.caxton.spi.serializer.Serializer;

import java.io.IOException;

/** A small JSON serializer for tests of the runtime (the real ones are plugins the runtime may not see). */
public final class JsonWire implements Serializer {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public String name() {
        return "json";
    }

    @Override
    public String mediaType() {
        return "application/json";
    }

    @Override
    public byte[] encodeValue(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new SerializationException(e.getMessage(), e);
        }
    }

    @Override
    public Object decodeValue(byte[] bytes) {
        try {
            return MAPPER.readValue(bytes, Object.class);
        } catch (IOException e) {
            throw new SerializationException("not JSON: " + e.getMessage(), e);
        }
    }
}
