package dev.caxton.plugin.membership.fixed;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipProvider;
import java.util.List;

/**
 * The {@code static} membership provider: the cluster is this node plus the nodes listed in
 * {@code nodes}, all taken to be alive.
 */
public final class StaticMembershipProvider implements MembershipProvider {

    /** The name {@code coordination.cluster.membership} selects this provider by. */
    public static final String NAME = "static";

    private static final List<ConfigOption> OPTIONS = List.of(
            ConfigOption.of("nodes", ConfigOption.Type.LIST, "[]",
                    "The other nodes of the cluster, each written id@host:port (host:port being where that "
                            + "node's transport listens; IPv6 addresses in brackets, as in n2@[::1]:7000). "
                            + "Empty: this node is alone. Listing this node too is harmless."));

    /** Creates the provider; cheap and free of side effects, as the runtime instantiates every provider. */
    public StaticMembershipProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "A fixed list of nodes from configuration, all taken to be alive";
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
    }

    /**
     * Reads and checks the node list; nothing happens on the network.
     *
     * @param context the provider's section
     * @return the membership, not yet joined
     * @throws ConfigException naming {@code <section>.nodes} and the entry when an entry is malformed
     *         or an id is listed twice, or naming any key that is not an option
     */
    @Override
    public Membership create(ProviderContext context) {
        ProviderConfig config = context.config();
        // The runtime already rejects undeclared keys; checking again protects embedders who build
        // the context themselves from a misspelt key that would silently do nothing.
        for (String key : config.keys()) {
            if (OPTIONS.stream().noneMatch(o -> o.key().equals(key))) {
                throw new ConfigException(config.fullKey(key), "unknown option; the static membership accepts nodes");
            }
        }
        return new StaticMembership(NodeList.parse(config.fullKey("nodes"), config.list("nodes")));
    }
}
