package dev.caxton.spi.membership;

import dev.caxton.spi.Provider;
import dev.caxton.spi.ProviderContext;

/** Creates {@link Membership}s; selected by {@code coordination.cluster.membership}. */
public interface MembershipProvider extends Provider {

    /**
     * Creates the membership service of this node. It does nothing until
     * {@link Membership#join}.
     *
     * @param context the provider's configuration section (seeds, intervals) and the data directory
     * @return the membership service
     */
    Membership create(ProviderContext context);
}
