package dev.caxton.cli;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.Quantities;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;

/**
 * Option values written as people write sizes and durations ({@code 10MB}, {@code 5s}), read with
 * the same rules as the configuration file. A bad value becomes picocli's conversion error, which
 * names the option it was given to.
 */
final class Quantity {

    private Quantity() {
    }

    /** A size of at least one byte, such as {@code 10MB}. */
    static final class Size implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            long bytes;
            try {
                bytes = Quantities.size("", value);
            } catch (ConfigException e) {
                throw new TypeConversionException(e.getMessage());
            }
            if (bytes <= 0) {
                throw new TypeConversionException("must be more than zero bytes, got '" + value + "'");
            }
            return bytes;
        }
    }

    /** A duration of zero or more, such as {@code 500ms} or {@code 5s}. */
    static final class Time implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Quantities.duration("", value);
            } catch (ConfigException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
