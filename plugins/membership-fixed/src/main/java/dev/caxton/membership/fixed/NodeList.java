package dev.caxton.membership.fixed;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.NodeId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Parses the {@code nodes} option: entries written {@code id@host:port}. */
final class NodeList {

    private static final String EXPECTED = "expected id@host:port, e.g. node-2@10.0.0.2:7000 or node-3@[::1]:7000";

    private NodeList() {
    }

    /**
     * Parses every entry, in order.
     *
     * @param key     the full key of the option, for messages
     * @param entries the entries as written
     * @return the nodes as members: alive, incarnation 0, no metadata
     * @throws ConfigException naming the key and the entry when an entry is malformed or an id repeats
     */
    static List<Member> parse(String key, List<String> entries) {
        List<Member> members = new ArrayList<>(entries.size());
        Map<NodeId, String> seen = new HashMap<>();
        for (String entry : entries) {
            Member m = parseOne(key, entry);
            String earlier = seen.putIfAbsent(m.id(), entry);
            if (earlier != null) {
                throw new ConfigException(key, "node id \"" + m.id() + "\" is listed twice (\"" + earlier + "\" and \""
                        + entry + "\"); each node must have its own id");
            }
            members.add(m);
        }
        return List.copyOf(members);
    }

    /**
     * Parses one entry.
     *
     * @param key   the full key, for messages
     * @param entry the entry
     * @return the member
     * @throws ConfigException when it is malformed
     */
    static Member parseOne(String key, String entry) {
        String s = entry.strip();
        int at = s.indexOf('@');
        if (at < 0) {
            throw bad(key, entry, "has no '@' between the node id and its address");
        }
        if (at == 0) {
            throw bad(key, entry, "has no node id before '@'");
        }
        if (s.indexOf('@', at + 1) >= 0) {
            throw bad(key, entry, "has more than one '@'");
        }
        String id = s.substring(0, at);
        if (id.chars().anyMatch(Character::isWhitespace)) {
            throw bad(key, entry, "has white space in its node id");
        }
        String address = s.substring(at + 1);
        String host;
        String port;
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            if (close < 0) {
                throw bad(key, entry, "opens '[' for an IPv6 address without closing it");
            }
            host = address.substring(1, close);
            if (!address.startsWith(":", close + 1)) {
                throw bad(key, entry, "has no ':port' after the bracketed address");
            }
            port = address.substring(close + 2);
        } else {
            int colon = address.lastIndexOf(':');
            if (colon < 0) {
                throw bad(key, entry, "has no ':port' after the host");
            }
            host = address.substring(0, colon);
            port = address.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw bad(key, entry, "has an IPv6 address without brackets");
            }
        }
        if (host.isEmpty()) {
            throw bad(key, entry, "has no host");
        }
        if (host.chars().anyMatch(Character::isWhitespace)) {
            throw bad(key, entry, "has white space in its host");
        }
        int portNumber = port(key, entry, port);
        // A name is looked up now; one that does not resolve yet is kept unresolved for the transport
        // to try again rather than failing the node's start.
        return new Member(new NodeId(id), new InetSocketAddress(host, portNumber), MemberState.ALIVE, 0, Map.of());
    }

    private static int port(String key, String entry, String port) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(key, entry, "has port \"" + port + "\", which is not a number from 1 to 65535");
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            throw bad(key, entry, "has port " + p + ", outside 1 to 65535");
        }
        return p;
    }

    private static ConfigException bad(String key, String entry, String problem) {
        return new ConfigException(key, "entry \"" + entry + "\" " + problem + "; " + EXPECTED);
    }
}
