/**
 * Membership from a fixed list of nodes in the configuration
 * ({@code coordination.cluster.membership: static}), the default of a single node: with no nodes
 * listed, the node is alone in its cluster.
 *
 * <p>Every listed node is taken to be alive for as long as this node is a member; nothing is
 * probed and no failure is detected. That suits a node alone, or a small cluster whose nodes an
 * operator starts and stops together. Clusters whose nodes come and go use a gossip provider.
 *
 * <p>The provider's name is {@code static}, but the module and its package are called
 * {@code fixed}: {@code static} is a reserved word of Java and cannot be part of a module or
 * package name.
 */
module dev.caxton.membership.fixed {
    requires dev.caxton.spi;

    provides dev.caxton.spi.membership.MembershipProvider
            with dev.caxton.plugin.membership.fixed.StaticMembershipProvider;
}
