package dev.caxton.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caxton.spi.Quantities;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;

/** JSON in and out, and the small conversions text output needs to show JSON values to a person. */
final class Json {

    /**
     * The mappers, built on first use only: a client command that prints text needs neither
     * (see {@link JsonText}), and building one is a good part of such a command's start.
     */
    private static final class Mappers {
        static final ObjectMapper MAPPER = new ObjectMapper();
        static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    private Json() {
    }

    /**
     * The one mapper of the command line, for what {@link JsonText} does not do.
     *
     * @return the mapper
     */
    static ObjectMapper mapper() {
        return Mappers.MAPPER;
    }

    /**
     * A new empty object.
     *
     * @return the object
     */
    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    /**
     * One-line JSON.
     *
     * @param node the value
     * @return its JSON text
     */
    static String compact(JsonNode node) {
        return JsonText.write(node);
    }

    /**
     * One-line JSON written by the mapper, for values {@link JsonText} leaves to it.
     *
     * @param node the value
     * @return its JSON text
     */
    static String viaMapper(JsonNode node) {
        try {
            return Mappers.MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Prints indented JSON, for {@code --output json}.
     *
     * @param out  where to
     * @param node the value
     */
    static void print(PrintWriter out, JsonNode node) {
        try {
            out.println(Mappers.PRETTY.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A JSON value as a cell of text output: strings without quotes, absent values as {@code -},
     * structures as compact JSON.
     *
     * @param node the value (may be missing or null)
     * @return the text
     */
    static String text(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return "-";
        }
        return node.isValueNode() ? node.asText() : compact(node);
    }

    /**
     * A timestamp for text output: numbers are taken as milliseconds since the epoch and shown in
     * ISO-8601 UTC; strings are shown as the server wrote them.
     *
     * @param node the value
     * @return the text
     */
    static String time(JsonNode node) {
        if (node != null && node.isIntegralNumber()) {
            return Instant.ofEpochMilli(node.asLong()).toString();
        }
        return text(node);
    }

    /**
     * The strings of a JSON array.
     *
     * @param node the array (may be missing)
     * @return its elements as text, empty when it is not an array
     */
    static java.util.List<String> strings(JsonNode node) {
        java.util.List<String> out = new java.util.ArrayList<>();
        if (node != null && node.isArray()) {
            node.forEach(n -> out.add(text(n)));
        }
        return out;
    }

    /**
     * A duration as people write it.
     *
     * @param d the duration
     * @return e.g. {@code 5s}
     */
    static String formatDuration(Duration d) {
        return Quantities.formatDuration(d);
    }
}
