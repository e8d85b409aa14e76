package dev.caxton.spi.membership;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The nodes a membership provider joins the cluster through: {@code coordination.cluster.seeds} from
 * the configuration plus every {@code caxton server start --join HOST:PORT}. The runtime offers them to
 * membership providers through {@link dev.caxton.spi.ProviderContext#service(Class)}; a provider that
 * needs no seeds (a fixed node list) ignores them.
 *
 * <p>A seed is a {@code host:port} in the provider's own address space (for SWIM, its UDP membership
 * port, not the transport port). The host may be a DNS name standing for several nodes, as a
 * Kubernetes headless service does; providers call {@link #resolve()} on every join attempt, not once,
 * so nodes that appear later are found.
 *
 * @param addresses the seeds as written, each {@code host:port} ({@code [v6]:port} for IPv6 literals)
 */
public record Seeds(List<String> addresses) {

    /**
     * Checks each entry's form (not whether it resolves) and copies the list.
     *
     * @throws IllegalArgumentException naming the first entry that is not {@code host:port} with a port
     *                                  from 1 to 65535
     */
    public Seeds {
        addresses = List.copyOf(Objects.requireNonNull(addresses, "addresses"));
        for (String a : addresses) {
            split(a);
        }
    }

    /** No seeds: the node stays alone unless another node joins it. */
    public static final Seeds NONE = new Seeds(List.of());

    /**
     * Whether there are no seeds.
     *
     * @return true when empty
     */
    public boolean isEmpty() {
        return addresses.isEmpty();
    }

    /**
     * Resolves every seed now, each DNS name to all the addresses it has. Seeds that do not resolve are
     * left out (a name may appear later); the caller logs when the result is empty.
     *
     * @return the resolved socket addresses, without duplicates, in the order of the seeds
     */
    public List<InetSocketAddress> resolve() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String a : addresses) {
            HostPort hp = split(a);
            try {
                for (InetAddress ip : InetAddress.getAllByName(hp.host())) {
                    InetSocketAddress s = new InetSocketAddress(ip, hp.port());
                    if (!out.contains(s)) {
                        out.add(s);
                    }
                }
            } catch (UnknownHostException e) {
                // not resolvable yet: the next join attempt tries again
            }
        }
        return out;
    }

    /**
     * Splits one seed into host and port.
     *
     * @param address {@code host:port} or {@code [v6]:port}
     * @return the parts
     * @throws IllegalArgumentException when the form or the port is wrong, naming the entry
     */
    public static HostPort split(String address) {
        Objects.requireNonNull(address, "address");
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("seed '" + address + "' is not host:port");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("seed '" + address + "': write an IPv6 address in brackets, [::1]:7946");
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("seed '" + address + "' has no numeric port");
        }
        if (port < 1 || port > 65535 || host.isBlank()) {
            throw new IllegalArgumentException("seed '" + address + "': the port must be 1 to 65535 after a host");
        }
        return new HostPort(host, port);
    }

    /**
     * One seed split into its parts.
     *
     * @param host a DNS name or an IP literal (without brackets)
     * @param port the port
     */
    public record HostPort(String host, int port) {
    }
}
