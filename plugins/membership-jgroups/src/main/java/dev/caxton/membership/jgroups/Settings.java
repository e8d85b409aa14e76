package dev.caxton.membership.jgroups;

import dev.caxton.spi.membership.MembershipDatagrams;
import dev.caxton.spi.membership.Seeds;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The checked options of one JGroups membership.
 *
 * @param clusterName     the JGroups cluster (group) name; only members with the same name join
 * @param bind            where JGroups' own transport binds 
 * @param advertise       the address other members are told to reach it at; null: the bind address
 * @param multicast       UDP with IP multicast discovery instead of TCP with the seeds
 * @param stackFile       the operator's own protocol stack; null: the built-in stack
 * @param seeds           the JGroups addresses of members to join through (TCPPING's initial hosts)
 * @param failureTimeout  a member silent this long is suspected (FD_ALL3), then checked and excluded
 * @param joinTimeout     how long discovery and the join request wait for answers
 * @param leaveTimeout    how long a leaving node waits for the others to confirm its goodbye
 * @param seedRefresh     how often the seeds are resolved again (a DNS name may gain addresses)
 * @param datagrams       the datagram service offered to the provider (a simulated network), which the
 *                        built-in stack then uses instead of TCP; null on a real node
 */
record Settings(String clusterName, InetSocketAddress bind, InetSocketAddress advertise, boolean multicast,
                Path stackFile, Seeds seeds, Duration failureTimeout, Duration joinTimeout, Duration leaveTimeout,
                Duration seedRefresh, MembershipDatagrams datagrams) {
}
