package dev.caxton.membership.fixed;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipChannel;
import dev.caxton.spi.membership.MembershipProvider;
import java.time.Duration;
import java.util.List;

/**
 * The {@code fixed} membership provider (formerly {@code static}, still accepted in configuration): the cluster is this node plus the nodes listed in
 * {@code nodes}, each judged alive, suspect or dead by the heartbeats it sends over the node's
 * {@link MembershipChannel}.
 */
public final class StaticMembershipProvider implements MembershipProvider {

    /** The name {@code coordination.cluster.membership} selects this provider by. */
    public static final String NAME = "fixed";

    private static final List<ConfigOption> OPTIONS = List.of(
            ConfigOption.of("nodes", ConfigOption.Type.LIST, "[]",
                    "The other nodes of the cluster, each written id@host:port (host:port being where that "
                            + "node's transport listens; IPv6 addresses in brackets, as in n2@[::1]:7000). "
                            + "Empty: this node is alone. Listing this node too is harmless."),
            ConfigOption.ranged("heartbeat_interval", ConfigOption.Type.DURATION, "500ms",
                    "How often this node sends a heartbeat, with its metadata, to every listed node.",
                    10, 60_000),
            ConfigOption.ranged("suspect_after", ConfigOption.Type.DURATION, "1500ms",
                    "A listed node not heard for this long is suspected; must be longer than heartbeat_interval.",
                    20, 600_000),
            ConfigOption.ranged("dead_after", ConfigOption.Type.DURATION, "5s",
                    "A listed node not heard for this long is judged dead (its agents leave the directory); "
                            + "must be longer than suspect_after.", 50, 3_600_000));

    /** Creates the provider; cheap and free of side effects, as the runtime instantiates every provider. */
    public StaticMembershipProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "A fixed list of nodes from configuration, judged by heartbeats over the transport";
    }

    @Override
    public List<ConfigOption> options() {
        return OPTIONS;
    }

    /**
     * Checks the node list as {@link #create} reads it, so a malformed entry is refused by
     * {@code config validate} too.
     *
     * @param config the provider's section
     * @throws ConfigException naming {@code <section>.nodes} and the entry
     */
    @Override
    public void check(ProviderConfig config) {
        NodeList.parse(config.fullKey("nodes"), config.list("nodes"));
        timing(config);
    }

    /**
     * Reads the three durations and checks they are in range and in order.
     *
     * @param config the section
     * @return the timing
     * @throws ConfigException naming the key that is out of range or out of order
     */
    static StaticMembership.Timing timing(ProviderConfig config) {
        StaticMembership.Timing d = StaticMembership.Timing.DEFAULT;
        Duration heartbeat = duration(config, "heartbeat_interval", d.heartbeat());
        Duration suspect = duration(config, "suspect_after", d.suspectAfter());
        Duration dead = duration(config, "dead_after", d.deadAfter());
        if (suspect.compareTo(heartbeat) <= 0) {
            throw new ConfigException(config.fullKey("suspect_after"), "must be longer than heartbeat_interval ("
                    + suspect.toMillis() + "ms is not longer than " + heartbeat.toMillis() + "ms)");
        }
        if (dead.compareTo(suspect) <= 0) {
            throw new ConfigException(config.fullKey("dead_after"), "must be longer than suspect_after ("
                    + dead.toMillis() + "ms is not longer than " + suspect.toMillis() + "ms)");
        }
        return new StaticMembership.Timing(heartbeat, suspect, dead);
    }

    private static Duration duration(ProviderConfig config, String key, Duration def) {
        // The runtime checks ranges before create; checking again keeps embedders' contexts honest.
        config.raw(key).ifPresent(v -> option(key).check(config.fullKey(key), v));
        return config.duration(key, def);
    }

    private static ConfigOption option(String key) {
        return OPTIONS.stream().filter(o -> o.key().equals(key)).findFirst().orElseThrow();
    }

    /**
     * Reads and checks the node list and timings, and takes the node's {@link MembershipChannel};
     * nothing happens on the network until {@code join}.
     *
     * @param context the provider's section and the services of the node
     * @return the membership, not yet joined
     * @throws ConfigException naming {@code <section>.nodes} and the entry when an entry is malformed
     *         or an id is listed twice, or when other nodes are listed but the node offers no
     *         membership channel; naming any key that is not an option or a timing out of range
     */
    @Override
    public Membership create(ProviderContext context) {
        ProviderConfig config = context.config();
        // The runtime already rejects undeclared keys; checking again protects embedders who build
        // the context themselves from a misspelt key that would silently do nothing.
        for (String key : config.keys()) {
            if (OPTIONS.stream().noneMatch(o -> o.key().equals(key))) {
                throw new ConfigException(config.fullKey(key), "unknown option; the fixed membership accepts "
                        + String.join(", ", OPTIONS.stream().map(ConfigOption::key).toList()));
            }
        }
        List<Member> nodes = NodeList.parse(config.fullKey("nodes"), config.list("nodes"));
        StaticMembership.Timing timing = timing(config);
        MembershipChannel channel = context.service(MembershipChannel.class).orElse(null);
        long others = nodes.stream().filter(m -> !m.id().value().equals(context.nodeName())).count();
        if (others > 0 && channel == null) {
            throw new ConfigException(config.fullKey("nodes"), "lists " + others + " other node(s), but this node "
                    + "offers no membership channel to reach them (no transport is running); the fixed "
                    + "membership needs the node's transport to send heartbeats");
        }
        return new StaticMembership(nodes, channel, timing);
    }
}
