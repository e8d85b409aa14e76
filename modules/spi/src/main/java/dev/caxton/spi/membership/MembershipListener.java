package dev.caxton.spi.membership;

/** Receives membership changes. */
@FunctionalInterface
public interface MembershipListener {

    /**
     * Called for each change, in the order the provider learned them; must not block.
     *
     * @param event the change
     */
    void onEvent(MembershipEvent event);
}
