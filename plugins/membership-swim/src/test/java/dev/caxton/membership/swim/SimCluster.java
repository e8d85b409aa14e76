package dev.caxton.membership.swim;

import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.testkit.membership.SimulatedNetwork;
import dev.caxton.testkit.membership.VirtualClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Many {@link SwimCore}s on the testkit's {@link SimulatedNetwork} and {@link VirtualClock}: the same
 * protocol code as on UDP, driven by a seeded simulation. Every node knows one seed (node 1; node 1
 * knows node 2), as the issue's clusters do.
 */
final class SimCluster {

    final VirtualClock clock;
    final SimulatedNetwork net;
    final SwimConfig config;
    final long seed;
    final List<SimNode> nodes = new ArrayList<>();
    private final SwimCore.Clock seam;

    /**
     * One event a node's listener received.
     *
     * @param type        what happened
     * @param node        to which other node
     * @param incarnation the node's incarnation in the event
     * @param at          the virtual time
     */
    record Seen(MembershipEvent.Type type, String node, long incarnation, long at) {
    }

    /** One simulated node: its protocol, and what its listener heard. */
    final class SimNode {
        final String id;
        final InetSocketAddress swim;
        final InetSocketAddress transport;
        SwimCore core;
        Map<String, String> metadata;
        int lives;
        /** Nodes this one currently reports alive (maintained from its events). */
        final Set<String> alive = new HashSet<>();
        /** Events about other nodes, in order (compact: a thousand-node run keeps millions). */
        final List<Seen> events = new ArrayList<>();

        SimNode(int index) {
            this.id = "n" + index;
            byte[] ip = {10, (byte) (index >> 16), (byte) (index >> 8), (byte) index};
            try {
                InetAddress a = InetAddress.getByAddress(ip);
                this.swim = new InetSocketAddress(a, 7945);
                this.transport = new InetSocketAddress(a, 7946);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
            this.metadata = Map.of("name", id);
        }

        void start() {
            lives++;
            alive.clear();
            InetSocketAddress seedAddr = nodes.get(nodes.get(0) == this && nodes.size() > 1 ? 1 : 0).swim;
            core = new SwimCore(id, config, seam, (to, p) -> net.send(swim, to, p), new Sealer(null),
                    new SplittableRandom(seed * 31 + id.hashCode() * 17L + lives),
                    () -> List.of(seedAddr), (type, m) -> {
                        String other = m.id().value();
                        if (other.equals(id)) {
                            return;
                        }
                        events.add(new Seen(type, other, m.incarnation(), clock.now()));
                        if (m.state() == MemberState.ALIVE) {
                            alive.add(other);
                        } else {
                            alive.remove(other);
                        }
                    });
            SwimCore c = core;
            net.attach(swim, c::onPacket);
            c.start(swim, transport, metadata);
        }

        void crash() {
            net.down(swim, true);
            core.halt();
        }

        MemberState stateOf(String other) {
            return core.stateOf(other);
        }

        boolean saw(MembershipEvent.Type type, String other) {
            return events.stream().anyMatch(e -> e.type() == type && e.node().equals(other));
        }
    }

    /**
     * @param size   how many nodes (not started)
     * @param config the protocol's parameters
     * @param seed   the seed of everything random
     */
    SimCluster(int size, SwimConfig config, long seed) {
        this.clock = new VirtualClock(1_800_000_000_000L);
        this.net = new SimulatedNetwork(clock, seed);
        this.config = config;
        this.seed = seed;
        this.seam = seam(clock);
        for (int i = 1; i <= size; i++) {
            nodes.add(new SimNode(i));
        }
    }

    /**
     * The protocol's clock seam over a virtual clock.
     *
     * @param clock the virtual clock
     * @return the seam
     */
    static SwimCore.Clock seam(VirtualClock clock) {
        return new SwimCore.Clock() {
            @Override
            public long now() {
                return clock.now();
            }

            @Override
            public long wallMillis() {
                return clock.wallMillis();
            }

            @Override
            public void schedule(long delayMs, Runnable task) {
                clock.schedule(delayMs, task);
            }
        };
    }

    /** Starts every node, each 10 ms after the previous one. */
    void startAll() {
        startFirst(nodes.size());
    }

    /**
     * Starts the first {@code count} nodes, each 10 ms after the previous one.
     *
     * @param count how many
     */
    void startFirst(int count) {
        for (SimNode n : nodes.subList(0, count)) {
            n.start();
            clock.advance(10);
        }
    }

    /**
     * Runs the simulation, checking the condition every 10 virtual ms.
     *
     * @param limitMs   virtual time to give up after
     * @param condition what to wait for
     * @return the virtual ms it took, or -1 when not within the limit
     */
    long await(long limitMs, BooleanSupplier condition) {
        long start = clock.now();
        while (clock.now() - start <= limitMs) {
            if (condition.getAsBoolean()) {
                return clock.now() - start;
            }
            clock.advance(10);
        }
        return -1;
    }

    /** Whether every running node in {@code observers} judges {@code target} so. */
    boolean allSee(List<SimNode> observers, String target, MemberState state) {
        for (SimNode o : observers) {
            if (!o.id.equals(target) && o.stateOf(target) != state) {
                return false;
            }
        }
        return true;
    }

    /**
     * When each observer first reported an event of the type about the target at or after {@code since}.
     *
     * @return the delays from {@code since}, one per observer that reported it
     */
    List<Long> learnt(List<SimNode> observers, MembershipEvent.Type type, String target, long since) {
        List<Long> out = new ArrayList<>();
        for (SimNode o : observers) {
            for (Seen e : o.events) {
                if (e.at() >= since && e.type() == type && e.node().equals(target)) {
                    out.add(e.at() - since);
                    break;
                }
            }
        }
        return out;
    }

    /** Whether every node of the list sees every other one of the list alive. */
    boolean allAlive(List<SimNode> group) {
        // A cheap first look: checked every 10 virtual ms, the full n² test made the 200- and
        // 1,000-node runs at 20% loss (which rarely have everyone alive at once) too slow to finish.
        for (SimNode o : group) {
            if (o.alive.size() < group.size() - 1) {
                return false;
            }
        }
        for (SimNode o : group) {
            for (SimNode t : group) {
                if (o != t && !o.alive.contains(t.id)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Distinct false verdicts: (node, incarnation) pairs some observer reported DEAD although the node
     * did not fail.
     */
    long falseVerdicts(Set<String> reallyFailed) {
        Set<String> verdicts = new HashSet<>();
        for (SimNode o : nodes) {
            for (Seen e : o.events) {
                if (e.type() == MembershipEvent.Type.DEAD && !reallyFailed.contains(e.node())) {
                    verdicts.add(e.node() + "@" + e.incarnation());
                }
            }
        }
        return verdicts.size();
    }

    /** DEAD events about nodes that did not fail, across all observers. */
    long falseDeaths(Set<String> reallyFailed) {
        long n = 0;
        for (SimNode o : nodes) {
            for (Seen e : o.events) {
                if (e.type() == MembershipEvent.Type.DEAD && !reallyFailed.contains(e.node())) {
                    n++;
                }
            }
        }
        return n;
    }
}
