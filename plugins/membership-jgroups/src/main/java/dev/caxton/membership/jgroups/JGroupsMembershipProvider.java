package dev.caxton.membership.jgroups;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.membership.MembershipDatagrams;
import dev.caxton.spi.membership.Seeds;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code jgroups} membership provider: the cluster is a JGroups group. By default its own stack
 * runs over TCP and finds the group through {@code coordination.cluster.seeds} (TCPPING), or through
 * IP multicast with {@code multicast: true}; an operator's stack file replaces both.
 *
 * <p>The seeds of this provider are JGroups addresses ({@code bind_addr} of other nodes), not
 * transport addresses.
 */
public final class JGroupsMembershipProvider implements MembershipProvider {

    /** The name {@code coordination.cluster.membership} selects this provider by. */
    public static final String NAME = "jgroups";

    /**
     * JGroups logs through java.util.logging here (no other logging library is in its layer); kept
     * referenced so the level set on it is not lost to garbage collection.
     */
    private static final Logger JGROUPS_LOG = Logger.getLogger("org.jgroups");

    private static final List<ConfigOption> OPTIONS = List.of(
            ConfigOption.of("cluster_name", ConfigOption.Type.STRING, "caxton",
                    "The JGroups cluster name; only nodes with the same name form a group."),
            ConfigOption.of("bind_addr", ConfigOption.Type.STRING, "127.0.0.1:7800",
                    "host:port JGroups' own transport (TCP, or UDP with multicast) binds (a fixed port: "
                            + "JGroups finds members by the ports their seeds name). "
                            + "Other nodes list this in their coordination.cluster.seeds."),
            ConfigOption.of("advertise_addr", ConfigOption.Type.STRING, "",
                    "host:port other nodes reach JGroups at, when not bind_addr (NAT, a container, 0.0.0.0); "
                            + "empty: bind_addr."),
            ConfigOption.of("multicast", ConfigOption.Type.BOOLEAN, "false",
                    "Use UDP with IP multicast discovery (a LAN that carries multicast) instead of TCP with the seeds."),
            ConfigOption.of("stack", ConfigOption.Type.STRING, "",
                    "Path of a JGroups protocol stack XML file to use instead of the built-in stack (bind_addr, "
                            + "advertise_addr, multicast and the seeds are then not used); empty: the built-in stack."),
            ConfigOption.ranged("failure_timeout", ConfigOption.Type.DURATION, "8s",
                    "A member not heard for this long is suspected, checked once more, and then excluded (dead).",
                    200, 600_000),
            ConfigOption.ranged("join_timeout", ConfigOption.Type.DURATION, "2s",
                    "How long discovery and the join request wait; a node that finds no one starts the group.",
                    100, 120_000),
            ConfigOption.ranged("leave_timeout", ConfigOption.Type.DURATION, "2s",
                    "How long a leaving node waits for the others to confirm its goodbye before it disconnects.",
                    0, 120_000),
            ConfigOption.oneOf("log_level", "error",
                    "Least severe JGroups log message passed to the node's log.", "error", "warn", "info", "debug"));

    /** Creates the provider; cheap and free of side effects, as the runtime instantiates every provider. */
    public JGroupsMembershipProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "A JGroups group: TCP with the seeds, UDP multicast, or an operator's stack file";
    }

    @Override
    public List<ConfigOption> options() {
        return OPTIONS;
    }

    /**
     * Checks the options as {@link #create} reads them, so {@code config validate} refuses the same.
     *
     * @param config the provider's section
     * @throws ConfigException naming the key that is wrong
     */
    @Override
    public void check(ProviderConfig config) {
        settings(config, Seeds.NONE, null);
    }

    /**
     * Reads the options; nothing happens on the network until {@code join}.
     *
     * @param context the provider's section and the node's seeds
     * @return the membership, not yet joined
     * @throws ConfigException naming the key that is wrong (an address that is not host:port or does not
     *                         resolve, a stack file that cannot be read)
     */
    @Override
    public Membership create(ProviderContext context) {
        // JGroups would pick log4j2 or SLF4J if either were on its layer; the node has one log
        // (java.util.logging, formatted as the operator chose), so JGroups writes there too.
        org.jgroups.logging.LogFactory.useJdkLogger(true);
        ProviderConfig config = context.config();
        for (String key : config.keys()) {
            if (OPTIONS.stream().noneMatch(o -> o.key().equals(key))) {
                throw new ConfigException(config.fullKey(key), "unknown option; the jgroups membership accepts "
                        + String.join(", ", OPTIONS.stream().map(ConfigOption::key).toList()));
            }
        }
        Settings s = settings(config, context.service(Seeds.class).orElse(Seeds.NONE),
                context.service(MembershipDatagrams.class).orElse(null));
        JGROUPS_LOG.setLevel(switch (config.string("log_level", "error").toLowerCase(Locale.ROOT)) {
            case "debug" -> Level.FINE;
            case "info" -> Level.INFO;
            case "warn" -> Level.WARNING;
            default -> Level.SEVERE;
        });
        return new JGroupsMembership(s);
    }

    static Settings settings(ProviderConfig config, Seeds seeds, MembershipDatagrams datagrams) {
        for (ConfigOption o : OPTIONS) {
            config.raw(o.key()).ifPresent(v -> o.check(config.fullKey(o.key()), v));
        }
        String name = config.string("cluster_name", "caxton");
        if (name.isBlank()) {
            throw new ConfigException(config.fullKey("cluster_name"), "must not be empty");
        }
        InetSocketAddress bind = address(config, "bind_addr", config.string("bind_addr", "127.0.0.1:7800"));
        String adv = config.string("advertise_addr", "");
        InetSocketAddress advertise = adv.isBlank() ? null : address(config, "advertise_addr", adv);
        String stack = config.string("stack", "");
        Path stackFile = null;
        if (!stack.isBlank()) {
            stackFile = Path.of(stack);
            if (!Files.isRegularFile(stackFile) || !Files.isReadable(stackFile)) {
                throw new ConfigException(config.fullKey("stack"), "cannot read the JGroups stack file '" + stack
                        + "' (" + (Files.exists(stackFile) ? "not a readable file" : "no such file") + ")");
            }
        }
        return new Settings(name, bind, advertise, config.bool("multicast", false), stackFile, seeds,
                config.duration("failure_timeout", Duration.ofSeconds(8)),
                config.duration("join_timeout", Duration.ofSeconds(2)),
                config.duration("leave_timeout", Duration.ofSeconds(2)),
                Duration.ofSeconds(5), datagrams);
    }

    private static InetSocketAddress address(ProviderConfig config, String key, String value) {
        int colon = value.lastIndexOf(':');
        String host = colon <= 0 ? "" : value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            port = -1;
        }
        if (host.isBlank() || port < 1 || port > 65535) {
            throw new ConfigException(config.fullKey(key), "'" + value + "' is not host:port (port 1 to 65535; "
                    + "IPv6 in brackets, [::1]:7800)");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new ConfigException(config.fullKey(key), "host '" + host + "' does not resolve");
        }
    }
}
