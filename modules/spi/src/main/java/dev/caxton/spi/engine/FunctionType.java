package dev.caxton.spi.engine;

import java.util.List;

/**
 * A function signature.
 *
 * @param params  parameter types
 * @param results result types
 */
public record FunctionType(List<ValueType> params, List<ValueType> results) {

    /** Copies the lists. */
    public FunctionType {
        params = List.copyOf(params);
        results = List.copyOf(results);
    }

    /**
     * A signature from its parts.
     *
     * @param params  parameter types
     * @param results result types
     * @return the signature
     */
    public static FunctionType of(List<ValueType> params, List<ValueType> results) {
        return new FunctionType(params, results);
    }

    @Override
    public String toString() {
        return "(" + String.join(", ", params.stream().map(v -> v.name().toLowerCase(java.util.Locale.ROOT)).toList())
                + ") -> (" + String.join(", ", results.stream().map(v -> v.name().toLowerCase(java.util.Locale.ROOT)).toList()) + ")";
    }
}
