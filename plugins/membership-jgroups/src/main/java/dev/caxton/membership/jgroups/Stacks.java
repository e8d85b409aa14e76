package dev.caxton.membership.jgroups;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.jgroups.JChannel;
import org.jgroups.protocols.BARRIER;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FRAG2;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.PING;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.TP;
import org.jgroups.protocols.UDP;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;

/**
 * Builds the protocol stack of a channel: the built-in TCP one (discovery through the seeds), the
 * built-in UDP one (discovery by IP multicast), or the operator's file. When the provider is offered a
 * datagram service (a simulated network does), the built-in stack runs over it instead of TCP.
 *
 * <p>The built-in stacks are JGroups' usual ones cut down to what a membership needs: discovery,
 * merging of split groups (MERGE3), failure detection by heartbeats (FD_ALL3, confirmed by
 * VERIFY_SUSPECT2), reliable ordered delivery (NAKACK2, UNICAST3), and the group protocol (GMS). No
 * FD_SOCK2: it would open a second port per node that firewalls and Kubernetes services must know of.
 */
final class Stacks {

    private Stacks() {
    }

    /**
     * Creates the channel, not yet connected.
     *
     * @param s          the settings
     * @param seedsNow   the seeds resolved now (TCP only)
     * @return the channel
     * @throws Exception when JGroups refuses the stack (a bad file, an address it cannot use)
     */
    static JChannel channel(Settings s, List<InetSocketAddress> seedsNow) throws Exception {
        JChannel ch;
        if (s.stackFile() != null) {
            try (InputStream in = Files.newInputStream(s.stackFile())) {
                ch = new JChannel(in);
            }
        } else {
            ch = new JChannel(s.datagrams() != null ? datagrams(s, seedsNow) : s.multicast() ? udp(s) : tcp(s, seedsNow));
        }
        // JGroups prints its address to standard output on connect unless told not to.
        GMS gms = ch.getProtocolStack().findProtocol(GMS.class);
        if (gms != null) {
            gms.printLocalAddress(false);
        }
        return ch;
    }

    private static List<Protocol> tcp(Settings s, List<InetSocketAddress> seedsNow) throws IOException {
        TCP tcp = new TCP();
        transport(tcp, s);
        return common(tcp, seedPing(s, seedsNow), s);
    }

    private static TCPPING seedPing(Settings s, List<InetSocketAddress> seedsNow) {
        TCPPING ping = new TCPPING();
        ping.setInitialHosts(initialHosts(s, seedsNow));
        ping.setPortRange(0);
        return ping;
    }

    /** The TCP stack's protocols over the offered datagram service instead of TCP (a simulated network). */
    private static List<Protocol> datagrams(Settings s, List<InetSocketAddress> seedsNow) throws IOException {
        // No multicast and no connections to learn addresses from: a discovery answer carries every
        // member the answering node knows, so a node that knows one seed learns the others' addresses,
        // and MERGE3 (which discovers through the seeds without multicast) finds the other side of a
        // healed partition.
        return common(new DatagramTransport(s.datagrams(), s.bind()), seedPing(s, seedsNow).returnEntireCache(true), s);
    }

    private static List<Protocol> udp(Settings s) throws IOException {
        UDP udp = new UDP();
        transport(udp, s);
        return common(udp, new PING(), s);
    }

    private static void transport(TP tp, Settings s) {
        tp.setBindAddress(s.bind().getAddress());
        tp.setBindPort(s.bind().getPort());
        // Exactly the port asked for: a node that silently took the next one could not be found by its seeds.
        tp.setPortRange(0);
        if (s.advertise() != null) {
            tp.setExternalAddr(s.advertise().getAddress());
            tp.setExternalPort(s.advertise().getPort());
        }
    }

    private static List<Protocol> common(TP transport, Protocol discovery, Settings s) {
        long failure = s.failureTimeout().toMillis();
        List<Protocol> stack = new ArrayList<>();
        stack.add(transport);
        stack.add(discovery);
        stack.add(new MERGE3().setMinInterval(1000).setMaxInterval(5000));
        stack.add(new FD_ALL3().setTimeout(failure).setInterval(Math.max(100, failure / 4)));
        stack.add(new VERIFY_SUSPECT2().setTimeout(Math.max(100, failure / 4)));
        stack.add(new BARRIER());
        stack.add(new NAKACK2().useMcastXmit(false));
        stack.add(new UNICAST3());
        stack.add(new STABLE());
        stack.add(new GMS().setJoinTimeout(s.joinTimeout().toMillis()).setLeaveTimeout(s.leaveTimeout().toMillis()));
        stack.add(new UFC());
        stack.add(new MFC());
        stack.add(new FRAG2());
        return stack;
    }

    /**
     * The seeds plus this node itself (TCPPING asks every initial host, and a node listed as its own
     * seed is harmless).
     */
    static List<InetSocketAddress> initialHosts(Settings s, List<InetSocketAddress> seedsNow) {
        List<InetSocketAddress> hosts = new ArrayList<>(seedsNow);
        if (s.bind().getPort() != 0) {
            InetSocketAddress me = s.advertise() != null ? s.advertise() : s.bind();
            if (!hosts.contains(me)) {
                hosts.add(me);
            }
        }
        return hosts;
    }
}
