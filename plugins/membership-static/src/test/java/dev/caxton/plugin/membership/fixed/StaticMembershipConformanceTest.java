package dev.caxton.plugin.membership.fixed;

import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.testkit.membership.MembershipConformance;

/** The static membership, with no nodes listed, against the membership conformance suite. */
class StaticMembershipConformanceTest extends MembershipConformance {

    @Override
    protected MembershipProvider provider() {
        return new StaticMembershipProvider();
    }
}
