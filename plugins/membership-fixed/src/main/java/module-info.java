/**
 * Membership from a fixed list of nodes in the configuration
 * ({@code coordination.cluster.membership: fixed}; {@code static} is its deprecated old name), the
 * default of a single node: with no nodes
 * listed, the node is alone in its cluster.
 *
 * <p>Every listed node is judged by the heartbeats it sends over the node's transport (through the
 * {@code MembershipChannel} the runtime offers): alive while heard, suspect and then dead when
 * silent, left when it says goodbye. Nodes do not relay opinions about one another, which suits a
 * small cluster of known nodes; clusters whose nodes come and go use a gossip provider.
 *
 * <p>The provider was named {@code static}, which a Java module or package name cannot contain; it
 * is named {@code fixed} like its folder, module and package, and configurations that still say
 * {@code static} keep working with a deprecation warning.
 */
module dev.caxton.membership.fixed {
    requires dev.caxton.spi;

    provides dev.caxton.spi.membership.MembershipProvider
            with dev.caxton.membership.fixed.StaticMembershipProvider;
}
