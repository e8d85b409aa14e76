package dev.caxton.membership.swim;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipClock;
import dev.caxton.spi.membership.MembershipDatagrams;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.membership.Seeds;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import javax.crypto.SecretKey;

/**
 * The {@code swim} membership provider: SWIM with the Lifeguard refinements over UDP, joining through
 * {@code coordination.cluster.seeds}. The node's gossip key, when {@code security.cluster.gossip_key}
 * is set, comes from the runtime as a {@link SecretKey} service.
 */
public final class SwimMembershipProvider implements MembershipProvider {

    /** The name {@code coordination.cluster.membership} selects this provider by. */
    public static final String NAME = "swim";
    /** Where the SWIM socket binds unless told: beside the transport's default port 7946, never on it. */
    public static final String DEFAULT_BIND = "127.0.0.1:7945";

    private static final List<ConfigOption> OPTIONS = List.of(
            ConfigOption.of("bind_addr", ConfigOption.Type.STRING, DEFAULT_BIND,
                    "Where the UDP socket of SWIM binds, host:port ([v6]:port); port 0 picks a free one. Must not be "
                            + "the transport's port when the transport is QUIC (UDP)."),
            ConfigOption.of("advertise_addr", ConfigOption.Type.STRING, "",
                    "The host:port other nodes reach this node's SWIM socket at (behind NAT, or when bind_addr is a "
                            + "wildcard); empty: the bound address (a wildcard host replaced by transport.host)."),
            ConfigOption.ranged("gossip_interval", ConfigOption.Type.DURATION, "200ms",
                    "How often queued updates go to gossip_fanout random nodes.", 1, 60_000),
            ConfigOption.ranged("gossip_fanout", ConfigOption.Type.INTEGER, "3",
                    "How many random nodes each gossip round reaches.", 1, 64),
            ConfigOption.ranged("probe_interval", ConfigOption.Type.DURATION, "1s",
                    "How often one node, in randomized round-robin order, is probed.", 1, 600_000),
            ConfigOption.ranged("probe_timeout", ConfigOption.Type.DURATION, "500ms",
                    "How long a direct probe waits for its ack before indirect probes are sent; at most probe_interval.",
                    1, 600_000),
            ConfigOption.ranged("suspicion_multiplier", ConfigOption.Type.INTEGER, "4",
                    "A suspect is dead after at least this × max(1, log10 n) × probe_interval.", 1, 100),
            ConfigOption.ranged("suspicion_max_timeout_multiplier", ConfigOption.Type.INTEGER, "6",
                    "A suspicion nobody confirms lasts this many times its minimum; confirmations shrink it (Lifeguard).",
                    1, 100),
            ConfigOption.ranged("indirect_probes", ConfigOption.Type.INTEGER, "3",
                    "How many nodes are asked to probe a node that did not answer a direct probe.", 0, 32),
            ConfigOption.ranged("gossip_to_dead", ConfigOption.Type.DURATION, "30s",
                    "How long dead and left nodes still receive gossip and stay listed as members.", 1, 86_400_000),
            ConfigOption.ranged("retransmit_mult", ConfigOption.Type.INTEGER, "4",
                    "Each update is sent at most this × ceil(log10(n + 1)) times.", 1, 100),
            ConfigOption.ranged("push_pull_interval", ConfigOption.Type.DURATION, "30s",
                    "How often the full state is exchanged with one random node (stretched beyond 32 nodes).",
                    10, 86_400_000),
            ConfigOption.ranged("awareness_max_multiplier", ConfigOption.Type.INTEGER, "8",
                    "Local health: a node that misses its own acks stretches its probe timeout and interval up to "
                            + "this + 1 times.", 0, 64));

    /** Creates the provider; cheap and free of side effects, as the runtime instantiates every provider. */
    public SwimMembershipProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "SWIM gossip with the Lifeguard refinements over UDP, joining through coordination.cluster.seeds";
    }

    @Override
    public List<ConfigOption> options() {
        return OPTIONS;
    }

    @Override
    public void check(ProviderConfig config) {
        settings(config);
    }

    /** The parts of the section, checked. */
    record Settings(SwimConfig swim, InetSocketAddress bind, InetSocketAddress advertise) {
    }

    /**
     * Reads and checks the section.
     *
     * @param config the section
     * @return the settings
     * @throws ConfigException naming the key that is wrong
     */
    static Settings settings(ProviderConfig config) {
        for (String key : config.keys()) {
            if (OPTIONS.stream().noneMatch(o -> o.key().equals(key))) {
                throw new ConfigException(config.fullKey(key), "unknown option; the swim membership accepts "
                        + String.join(", ", OPTIONS.stream().map(ConfigOption::key).toList()));
            }
            option(key).check(config.fullKey(key), config.raw(key).orElseThrow());
        }
        SwimConfig d = SwimConfig.DEFAULT;
        long probeInterval = ms(config, "probe_interval", d.probeIntervalMs());
        long probeTimeout = ms(config, "probe_timeout", d.probeTimeoutMs());
        if (probeTimeout > probeInterval) {
            throw new ConfigException(config.fullKey("probe_timeout"), "must not be longer than probe_interval ("
                    + probeTimeout + "ms is longer than " + probeInterval + "ms)");
        }
        SwimConfig swim = new SwimConfig(ms(config, "gossip_interval", d.gossipIntervalMs()),
                (int) config.integer("gossip_fanout", d.gossipFanout()), probeInterval, probeTimeout,
                (int) config.integer("suspicion_multiplier", d.suspicionMult()),
                (int) config.integer("suspicion_max_timeout_multiplier", d.suspicionMaxTimeoutMult()),
                (int) config.integer("indirect_probes", d.indirectProbes()),
                ms(config, "gossip_to_dead", d.gossipToDeadMs()),
                (int) config.integer("retransmit_mult", d.retransmitMult()),
                ms(config, "push_pull_interval", d.pushPullIntervalMs()),
                (int) config.integer("awareness_max_multiplier", d.awarenessMax()));
        InetSocketAddress bind = address(config, "bind_addr", config.string("bind_addr", DEFAULT_BIND), true);
        String adv = config.string("advertise_addr", "");
        InetSocketAddress advertise = adv.isBlank() ? null : address(config, "advertise_addr", adv, false);
        if (advertise != null && advertise.getAddress().isAnyLocalAddress()) {
            throw new ConfigException(config.fullKey("advertise_addr"), "'" + adv
                    + "' is a wildcard; advertise an address other nodes can reach");
        }
        return new Settings(swim, bind, advertise);
    }

    private static InetSocketAddress address(ProviderConfig config, String key, String value, boolean portZero) {
        int colon = value.lastIndexOf(':');
        String host = colon > 0 ? value.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            host = "";
        }
        int port = -1;
        try {
            port = colon > 0 ? Integer.parseInt(value.substring(colon + 1)) : -1;
        } catch (NumberFormatException e) {
            // reported below with the form expected
        }
        if (host.isBlank() || port < (portZero ? 0 : 1) || port > 65535) {
            throw new ConfigException(config.fullKey(key), "'" + value + "' is not host:port ([v6]:port for IPv6) "
                    + "with a port from " + (portZero ? "0" : "1") + " to 65535");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new ConfigException(config.fullKey(key), "host '" + host + "' does not resolve");
        }
    }

    private static long ms(ProviderConfig config, String key, long def) {
        return config.duration(key, Duration.ofMillis(def)).toMillis();
    }

    private static ConfigOption option(String key) {
        return OPTIONS.stream().filter(o -> o.key().equals(key)).findFirst().orElseThrow();
    }

    /**
     * Checks the section and takes the seeds and the gossip key from the node; the socket is bound on
     * {@code join}. A {@link MembershipClock} and {@link MembershipDatagrams} offered in the context (by
     * a simulation; the runtime offers neither) replace real time and real UDP.
     *
     * @param context the provider's section and the node's services
     * @return the membership, not yet joined
     * @throws ConfigException naming the key that is wrong
     */
    @Override
    public Membership create(ProviderContext context) {
        Settings s = settings(context.config());
        Seeds seeds = context.service(Seeds.class).orElse(Seeds.NONE);
        SecretKey key = context.service(SecretKey.class).orElse(null);
        return new SwimMembership(context.nodeName(), s.swim(), s.bind(), s.advertise(), seeds, key,
                context.service(MembershipClock.class).orElse(null),
                context.service(MembershipDatagrams.class).orElse(null));
    }
}
