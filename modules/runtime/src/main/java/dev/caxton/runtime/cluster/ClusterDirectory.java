package dev.caxton.runtime.cluster;

import dev.caxton.runtime.routing.RemoteRoutes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which agents, with which capabilities, run on the other nodes. Each node is the single writer of
 * its own entries and numbers every version of them; this copy keeps, per node, the newest version
 * it heard of and ignores older ones, so deltas and full snapshots may arrive in any order and no
 * consensus is needed. Reads take no lock: the indexes are immutable and replaced as a whole on
 * every change (changes are rare: deploys and undeploys).
 */
public final class ClusterDirectory {

    /**
     * One node's entries.
     *
     * @param version the writer's version number
     * @param agents  agent name to its capabilities
     */
    public record Entries(long version, Map<String, List<String>> agents) {
        /** Copies the map. */
        public Entries {
            agents = Map.copyOf(agents);
        }
    }

    private record Index(Map<String, Entries> nodes, Map<String, String> nodeOf,
                         Map<String, List<RemoteRoutes.Holder>> holders) {
    }

    /** What became of a delta. */
    public enum DeltaResult {
        /** It followed the known version and was applied. */
        APPLIED,
        /** The known version is already as new or newer: ignored. */
        STALE,
        /** It does not follow the known version (a delta was missed, or nothing is known): pull in full. */
        GAP
    }

    private volatile Index index = new Index(Map.of(), Map.of(), Map.of());

    /**
     * Takes a node's entries when they are newer than what is known.
     *
     * @param node    the node (the writer)
     * @param entries its entries
     * @return true when taken; false when an equal or newer version was known
     */
    public synchronized boolean apply(String node, Entries entries) {
        Entries old = index.nodes().get(node);
        if (old != null && old.version() >= entries.version()) {
            return false;
        }
        Map<String, Entries> nodes = new HashMap<>(index.nodes());
        nodes.put(node, entries);
        rebuild(nodes);
        return true;
    }

    /**
     * Applies a change of a node's entries when it follows the version known here.
     *
     * @param node    the node (the writer)
     * @param from    the version the change starts from
     * @param to      the version it makes
     * @param added   agents added, or whose capabilities changed, with their capabilities
     * @param removed agents removed
     * @return whether it was applied, stale or leaves a gap (then the caller pulls the full entries)
     */
    public synchronized DeltaResult applyDelta(String node, long from, long to, Map<String, List<String>> added,
                                               java.util.Collection<String> removed) {
        Entries old = index.nodes().get(node);
        if (old != null && old.version() >= to) {
            return DeltaResult.STALE;
        }
        if (old == null || old.version() != from) {
            return DeltaResult.GAP;
        }
        Map<String, List<String>> agents = new HashMap<>(old.agents());
        removed.forEach(agents::remove);
        agents.putAll(added);
        Map<String, Entries> nodes = new HashMap<>(index.nodes());
        nodes.put(node, new Entries(to, agents));
        rebuild(nodes);
        return DeltaResult.APPLIED;
    }

    /**
     * Forgets a node's entries (it is dead or left).
     *
     * @param node the node
     * @return true when it had entries
     */
    public synchronized boolean drop(String node) {
        if (!index.nodes().containsKey(node)) {
            return false;
        }
        Map<String, Entries> nodes = new HashMap<>(index.nodes());
        nodes.remove(node);
        rebuild(nodes);
        return true;
    }

    private void rebuild(Map<String, Entries> nodes) {
        Map<String, String> nodeOf = new HashMap<>();
        Map<String, List<RemoteRoutes.Holder>> holders = new HashMap<>();
        // Sorted by node so that every node walks holders in the same order.
        new TreeMap<>(nodes).forEach((node, e) -> new TreeMap<>(e.agents()).forEach((agent, caps) -> {
            nodeOf.putIfAbsent(agent, node);
            for (String c : caps) {
                holders.computeIfAbsent(c, k -> new ArrayList<>()).add(new RemoteRoutes.Holder(agent, node));
            }
        }));
        holders.replaceAll((k, v) -> List.copyOf(v));
        index = new Index(Map.copyOf(nodes), Map.copyOf(nodeOf), Map.copyOf(holders));
    }

    /**
     * The node hosting an agent.
     *
     * @param agent the agent
     * @return the node, or null
     */
    public String nodeOf(String agent) {
        return index.nodeOf().get(agent);
    }

    /**
     * The remote holders of a capability.
     *
     * @param capability the capability
     * @return the holders, in node then agent order
     */
    public List<RemoteRoutes.Holder> holders(String capability) {
        return index.holders().getOrDefault(capability, List.of());
    }

    /** @return every node's entries */
    public Map<String, Entries> nodes() {
        return index.nodes();
    }
}
