package dev.caxton.membership.swim;

/**
 * The protocol's parameters, in milliseconds where they are times; the defaults are memberlist's LAN
 * configuration, which the issue asks for.
 *
 * @param gossipIntervalMs          how often queued gossip goes to {@code gossipFanout} random nodes
 * @param gossipFanout              how many nodes each gossip round reaches
 * @param probeIntervalMs           how often one node is probed
 * @param probeTimeoutMs            how long a direct probe waits for its ack before asking others
 * @param suspicionMult             the suspicion timeout is this × log10(n) × the probe interval at least
 * @param suspicionMaxTimeoutMult   the suspicion timeout with no confirmation is this × its minimum
 * @param indirectProbes            how many nodes are asked to probe a node that did not answer
 * @param gossipToDeadMs            how long dead and left nodes still receive gossip and stay listed
 * @param retransmitMult            each update is sent at most this × log10(n + 1) times (rounded up)
 * @param pushPullIntervalMs        how often the full state is exchanged with one random node
 * @param awarenessMax              the local health score's ceiling: timeouts grow up to this + 1 times
 */
record SwimConfig(long gossipIntervalMs, int gossipFanout, long probeIntervalMs, long probeTimeoutMs,
                  int suspicionMult, int suspicionMaxTimeoutMult, int indirectProbes, long gossipToDeadMs,
                  int retransmitMult, long pushPullIntervalMs, int awarenessMax) {

    /** memberlist's LAN defaults. */
    static final SwimConfig DEFAULT = new SwimConfig(200, 3, 1000, 500, 4, 6, 3, 30_000, 4, 30_000, 8);

    /**
     * A copy with other probe timings, for tests that want a fast cluster.
     *
     * @param probeIntervalMs the probe interval
     * @param probeTimeoutMs  the probe timeout
     * @param gossipIntervalMs the gossip interval
     * @return the copy
     */
    SwimConfig withTimings(long probeIntervalMs, long probeTimeoutMs, long gossipIntervalMs) {
        return new SwimConfig(gossipIntervalMs, gossipFanout, probeIntervalMs, probeTimeoutMs, suspicionMult,
                suspicionMaxTimeoutMult, indirectProbes, gossipToDeadMs, retransmitMult, pushPullIntervalMs, awarenessMax);
    }
}
