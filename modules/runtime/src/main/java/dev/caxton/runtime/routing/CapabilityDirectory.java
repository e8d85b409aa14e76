package dev.caxton.runtime.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who holds which capability (FIPA's directory facilitator). A message addressed by capability goes
 * to one holder, chosen round-robin so load spreads, or to every holder when broadcast.
 */
public final class CapabilityDirectory {

    private static final int MAX_NAME = 128;

    // Reads (every message routed by capability) take no lock and copy nothing: each holder list
    // is an immutable list replaced as a whole. Changes (deploys, undeploys, register_capability,
    // and every API client that stops waiting) are serialised on this object; the index by agent
    // makes forgetting a name that holds nothing, the common case, a single lookup.
    private final Map<String, Holders> byCapability = new ConcurrentHashMap<>();
    // Each agent's set is changed in place (a concurrent set, read without the lock): copying it per
    // change made an agent's n-th registration cost n, so one init registering 10,000 capabilities
    // did some 50 million element copies.
    private final Map<String, Set<String>> byAgent = new ConcurrentHashMap<>();

    private static final class Holders {
        volatile List<String> agents = List.of();
        final AtomicInteger next = new AtomicInteger();
    }

    /**
     * Checks a capability name: 1 to 128 characters of letters, digits, {@code . _ - : /}.
     *
     * @param name the name
     * @return null when valid, otherwise what is wrong
     */
    public static String problemWith(String name) {
        if (name == null || name.isEmpty()) {
            return "a capability name cannot be empty";
        }
        if (name.length() > MAX_NAME) {
            return "a capability name is at most " + MAX_NAME + " characters";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-' || c == ':' || c == '/')) {
                return "a capability name may hold letters, digits and . _ - : / only, not '" + c + "'";
            }
        }
        return null;
    }

    /**
     * Records that an agent holds a capability (idempotent).
     *
     * @param capability the capability
     * @param agent      the agent name
     */
    public synchronized void register(String capability, String agent) {
        Holders h = byCapability.computeIfAbsent(capability, c -> new Holders());
        if (!h.agents.contains(agent)) {
            List<String> more = new ArrayList<>(h.agents);
            more.add(agent);
            h.agents = List.copyOf(more);
        }
        byAgent.computeIfAbsent(agent, a -> ConcurrentHashMap.newKeySet()).add(capability);
    }

    /**
     * Forgets that an agent holds one capability.
     *
     * @param capability the capability
     * @param agent      the agent name
     */
    public synchronized void unregister(String capability, String agent) {
        drop(capability, agent);
        Set<String> caps = byAgent.get(agent);
        if (caps != null && caps.remove(capability) && caps.isEmpty()) {
            byAgent.remove(agent);
        }
    }

    /**
     * Forgets every capability of an agent.
     *
     * @param agent the agent name
     */
    public void removeAgent(String agent) {
        if (!byAgent.containsKey(agent)) {
            return;
        }
        synchronized (this) {
            Set<String> caps = byAgent.remove(agent);
            if (caps != null) {
                caps.forEach(c -> drop(c, agent));
            }
        }
    }

    /** Removes one holder of one capability, and the capability once nobody holds it; under the lock. */
    private void drop(String capability, String agent) {
        Holders h = byCapability.get(capability);
        if (h == null || !h.agents.contains(agent)) {
            return;
        }
        List<String> fewer = new ArrayList<>(h.agents);
        fewer.remove(agent);
        if (fewer.isEmpty()) {
            byCapability.remove(capability);
        } else {
            h.agents = List.copyOf(fewer);
        }
    }

    /**
     * The next holder of a capability, round-robin.
     *
     * @param capability the capability
     * @return the agent name, or null when nobody holds it
     */
    public String pick(String capability) {
        Holders h = byCapability.get(capability);
        if (h == null) {
            return null;
        }
        List<String> agents = h.agents;
        if (agents.isEmpty()) {
            return null;
        }
        return agents.get(Math.floorMod(h.next.getAndIncrement(), agents.size()));
    }

    /**
     * Every holder of a capability.
     *
     * @param capability the capability
     * @return the agent names, empty when nobody holds it
     */
    public List<String> holders(String capability) {
        Holders h = byCapability.get(capability);
        return h == null ? List.of() : h.agents;
    }

    /**
     * The capabilities of one agent.
     *
     * @param agent the agent name
     * @return the capabilities, sorted
     */
    public List<String> capabilitiesOf(String agent) {
        return byAgent.getOrDefault(agent, Set.of()).stream().sorted().toList();
    }

    /**
     * The whole directory.
     *
     * @return capability to holders, sorted by capability
     */
    public Map<String, List<String>> snapshot() {
        Map<String, List<String>> m = new TreeMap<>();
        byCapability.forEach((c, h) -> {
            if (!h.agents.isEmpty()) {
                m.put(c, h.agents);
            }
        });
        return m;
    }

    /** @return the capability names */
    public Set<String> capabilities() {
        return snapshot().keySet();
    }
}
