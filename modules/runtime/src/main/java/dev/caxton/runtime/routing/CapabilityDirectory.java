package dev.caxton.runtime.routing;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who holds which capability (FIPA's directory facilitator). A message addressed by capability goes
 * to one holder, chosen round-robin so load spreads, or to every holder when broadcast.
 */
public final class CapabilityDirectory {

    private static final int MAX_NAME = 128;

    private final Map<String, Holders> byCapability = new ConcurrentHashMap<>();

    private static final class Holders {
        final CopyOnWriteArrayList<String> agents = new CopyOnWriteArrayList<>();
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
    public void register(String capability, String agent) {
        byCapability.computeIfAbsent(capability, c -> new Holders()).agents.addIfAbsent(agent);
    }

    /**
     * Forgets that an agent holds one capability.
     *
     * @param capability the capability
     * @param agent      the agent name
     */
    public void unregister(String capability, String agent) {
        Holders h = byCapability.get(capability);
        if (h != null) {
            h.agents.remove(agent);
        }
    }

    /**
     * Forgets every capability of an agent.
     *
     * @param agent the agent name
     */
    public void removeAgent(String agent) {
        byCapability.values().forEach(h -> h.agents.remove(agent));
        byCapability.entrySet().removeIf(e -> e.getValue().agents.isEmpty());
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
        List<String> snapshot = List.copyOf(h.agents);
        if (snapshot.isEmpty()) {
            return null;
        }
        return snapshot.get(Math.floorMod(h.next.getAndIncrement(), snapshot.size()));
    }

    /**
     * Every holder of a capability.
     *
     * @param capability the capability
     * @return the agent names, empty when nobody holds it
     */
    public List<String> holders(String capability) {
        Holders h = byCapability.get(capability);
        return h == null ? List.of() : List.copyOf(h.agents);
    }

    /**
     * The capabilities of one agent.
     *
     * @param agent the agent name
     * @return the capabilities, sorted
     */
    public List<String> capabilitiesOf(String agent) {
        return byCapability.entrySet().stream().filter(e -> e.getValue().agents.contains(agent))
                .map(Map.Entry::getKey).sorted().toList();
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
                m.put(c, List.copyOf(h.agents));
            }
        });
        return m;
    }

    /** @return the capability names */
    public Set<String> capabilities() {
        return snapshot().keySet();
    }
}
