package dev.caxton.spi.membership;

import java.util.Map;
import java.util.Objects;

/**
 * Counters a membership provider may report about its own protocol, for the node's metrics. Both maps
 * are cumulative since the provider started (they only grow, like Prometheus counters) and their keys
 * become label values, so a provider keeps them to a small fixed set of lowercase words with
 * underscores (never a node id or an address).
 *
 * @param packetsDropped packets or messages the provider refused, by reason (e.g. {@code malformed},
 *                       {@code non_member}, {@code unauthenticated}, {@code flood}, {@code too_large});
 *                       served as {@code caxton_membership_packets_dropped_total{reason}}
 * @param events         protocol events, by kind (e.g. {@code probe}, {@code indirect_probe},
 *                       {@code suspicion}, {@code refutation}); served as
 *                       {@code caxton_membership_events_total{kind}}
 */
public record MembershipStatistics(Map<String, Long> packetsDropped, Map<String, Long> events) {

    /** What a provider that measures nothing reports: no series at all. */
    public static final MembershipStatistics NONE = new MembershipStatistics(Map.of(), Map.of());

    /**
     * Copies the maps, so the record stays a snapshot.
     *
     * @param packetsDropped refused packets by reason
     * @param events         protocol events by kind
     */
    public MembershipStatistics {
        packetsDropped = Map.copyOf(Objects.requireNonNull(packetsDropped, "packetsDropped"));
        events = Map.copyOf(Objects.requireNonNull(events, "events"));
    }
}
