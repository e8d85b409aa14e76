/**
 * Membership on JGroups ({@code coordination.cluster.membership: jgroups}), for operators who already
 * run JGroups or want its merge and flow-control machinery: JGroups decides who is in the group (its
 * views), and this plugin turns views into membership events and carries each node's metadata on
 * JGroups messages.
 *
 * <p>JGroups is an automatic module: it lives in this plugin's folder and layer, never in the image.
 */
module dev.caxton.membership.jgroups {
    requires dev.caxton.spi;
    requires org.jgroups;
    requires java.logging;

    provides dev.caxton.spi.membership.MembershipProvider
            with dev.caxton.membership.jgroups.JGroupsMembershipProvider;
}
