package dev.caxton.fipa.acl;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A FIPA agent identifier: a globally unique name ({@code local@platform}), the transport addresses
 * it can be reached at, optional resolvers and user-defined parameters.
 *
 * @param name       the agent's name, e.g. {@code buyer@JadePeer}
 * @param addresses  transport addresses (URLs), in order of preference; may be empty
 * @param resolvers  naming services that can resolve the name; may be empty
 * @param userParams user-defined parameters (names normally start with {@code X-}), in order
 */
public record Aid(String name, List<String> addresses, List<Aid> resolvers, Map<String, String> userParams) {

    /** Copies the lists so an identifier never changes after it is made. */
    public Aid {
        Objects.requireNonNull(name, "name");
        addresses = List.copyOf(addresses);
        resolvers = List.copyOf(resolvers);
        userParams = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(userParams));
    }

    /**
     * An identifier with a name and addresses only.
     *
     * @param name      the name
     * @param addresses the addresses
     * @return the identifier
     */
    public static Aid of(String name, String... addresses) {
        return new Aid(name, List.of(addresses), List.of(), Map.of());
    }

    /** @return the part of the name before the last {@code @} (the whole name when there is none) */
    public String localName() {
        int at = name.lastIndexOf('@');
        return at < 0 ? name : name.substring(0, at);
    }

    /** @return the part of the name after the last {@code @}, or null when there is none */
    public String platform() {
        int at = name.lastIndexOf('@');
        return at < 0 ? null : name.substring(at + 1);
    }
}
