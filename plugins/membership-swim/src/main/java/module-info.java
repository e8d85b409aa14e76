/**
 * SWIM membership with the Lifeguard refinements ({@code coordination.cluster.membership: swim}):
 * nodes join through seeds and judge one another by UDP probes, indirect probes and suspicion that
 * other nodes may refute, spreading what they learn by gossip.
 *
 * <p>The protocol ({@code SwimCore}) is a single-threaded state machine that takes its clock and its
 * packet endpoint as seams: the plugin runs it on a UDP socket and real time, the tests and the
 * simulation benchmark on a simulated network and a seeded virtual clock.
 */
module dev.caxton.membership.swim {
    requires dev.caxton.spi;

    provides dev.caxton.spi.membership.MembershipProvider
            with dev.caxton.membership.swim.SwimMembershipProvider;
}
