package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The rules behind {@code performance diagnose}, {@code memory analyze} and
 * {@code cluster analyze-gossip}: each turns live figures into findings, each finding naming the
 * setting to change. The thresholds are constants here and listed in docs/operations.md;
 * the rules take plain numbers (or the API's JSON) so tests can feed them any situation.
 */
final class Findings {

    /** A mailbox this full is a warning; {@link #QUEUE_CRITICAL} is critical. */
    static final double QUEUE_WARN = 0.5;
    static final double QUEUE_CRITICAL = 0.8;
    /** The most fuel one message used, against the agent's limit. */
    static final double FUEL_WARN = 0.75;
    static final double FUEL_CRITICAL = 0.9;
    /** The memory budget taken by agents' limits. */
    static final double BUDGET_WARN = 0.75;
    static final double BUDGET_CRITICAL = 0.9;
    /** Heap in use against the maximum. */
    static final double HEAP_WARN = 0.85;
    /** Dead letters of one kind among the newest sampled before it is a finding. */
    static final long DEAD_LETTERS_WARN = 10;
    /** Growth of the heap's low point over a memory analysis, as a share of the maximum heap. */
    static final double HEAP_GROWTH_WARN = 0.10;

    /** How bad a finding is. */
    enum Severity {
        OK, INFO, WARNING, CRITICAL
    }

    /**
     * One finding.
     *
     * @param severity how bad
     * @param subject  what it is about (an agent, the heap, a reason)
     * @param message  what was seen, with the numbers
     * @param setting  what to change, or empty
     */
    record Finding(Severity severity, String subject, String message, String setting) {
        @Override
        public String toString() {
            return severity.name().toLowerCase(Locale.ROOT) + "  " + subject + ": " + message
                    + (setting.isEmpty() ? "" : "\n      -> " + setting);
        }
    }

    private Findings() {
    }

    /** An agent's mailbox: its capacity is the sum of the priority classes' queue sizes. */
    static Finding queue(String agent, long queued, long capacity) {
        return queue(agent, queued, capacity, "raise messaging.priorities.<class>.queue_size (one agent's mailbox), "
                + "or spread the work over more agents sharing a capability");
    }

    /** The node's queue: everything queued on the node against messaging.queue_size. */
    static Finding nodeQueue(long queued, long capacity) {
        return queue("node queue", queued, capacity, "raise messaging.queue_size (all mailboxes together), "
                + "or add nodes");
    }

    private static Finding queue(String agent, long queued, long capacity, String fix) {
        double share = capacity <= 0 ? 0 : (double) queued / capacity;
        String msg = queued + " of " + capacity + " messages queued (" + pct(share) + ")";
        if (share >= QUEUE_CRITICAL) {
            return new Finding(Severity.CRITICAL, agent, msg + "; senders will soon be refused", fix);
        }
        if (share >= QUEUE_WARN) {
            return new Finding(Severity.WARNING, agent, msg, fix);
        }
        return new Finding(Severity.OK, agent, msg, "");
    }

    static Finding fuel(String agent, long fuelMax, long fuelLimit) {
        if (fuelLimit <= 0 || fuelMax < 0) {
            return new Finding(Severity.OK, agent, "fuel unmetered or not used yet", "");
        }
        double share = (double) fuelMax / fuelLimit;
        String msg = "the costliest message used " + fuelMax + " of " + fuelLimit + " fuel (" + pct(share) + ")";
        String fix = "redeploy with a higher limits.fuel (caxton agent deploy --fuel), or make the agent do less per message";
        if (share >= FUEL_CRITICAL) {
            return new Finding(Severity.CRITICAL, agent, msg + "; messages will soon fault with 'fuel exhausted'", fix);
        }
        if (share >= FUEL_WARN) {
            return new Finding(Severity.WARNING, agent, msg, fix);
        }
        return new Finding(Severity.OK, agent, msg, "");
    }

    static Finding faults(String agent, String state, long faults, String lastFault) {
        if ("failed".equals(state)) {
            return new Finding(Severity.CRITICAL, agent, "failed after " + faults + " faults (last: " + lastFault + ")",
                    "fix the agent and redeploy it (caxton agent deploy); agents.max_failures and "
                            + "agents.failure_window decide how many faults fail an agent");
        }
        if (faults > 0) {
            return new Finding(Severity.WARNING, agent, faults + " faults (last: " + lastFault + ")",
                    settingForReason(lastFault == null ? "" : lastFault));
        }
        return new Finding(Severity.OK, agent, "no faults", "");
    }

    static Finding budget(long inUse, long budget) {
        if (budget <= 0) {
            return new Finding(Severity.OK, "memory budget", "no budget reported", "");
        }
        double share = (double) inUse / budget;
        String msg = "agents' memory limits take " + mib(inUse) + " of the " + mib(budget) + " budget (" + pct(share) + ")";
        String fix = "raise runtime.memory_budget (and -Xmx with it: JAVA_OPTS), or deploy agents with smaller limits.memory_bytes";
        if (share >= BUDGET_CRITICAL) {
            return new Finding(Severity.CRITICAL, "memory budget", msg + "; new deploys will be refused", fix);
        }
        if (share >= BUDGET_WARN) {
            return new Finding(Severity.WARNING, "memory budget", msg, fix);
        }
        return new Finding(Severity.OK, "memory budget", msg, "");
    }

    static Finding heap(long used, long max) {
        if (max <= 0) {
            return new Finding(Severity.OK, "heap", mib(used) + " in use, no maximum", "");
        }
        double share = (double) used / max;
        String msg = mib(used) + " of " + mib(max) + " in use (" + pct(share) + ")";
        if (share >= HEAP_WARN) {
            return new Finding(Severity.WARNING, "heap", msg + " right now; if it stays there, the node is short of memory",
                    "raise -Xmx (JAVA_OPTS) or lower runtime.memory_budget; `caxton memory analyze` tells a peak from growth");
        }
        return new Finding(Severity.OK, "heap", msg, "");
    }

    static Finding deadLetters(String kind, long count, long sampled) {
        String msg = count + " of the newest " + sampled + " dead letters";
        if (count >= DEAD_LETTERS_WARN) {
            return new Finding(Severity.WARNING, "dead letters '" + kind + "'", msg, settingForReason(kind));
        }
        return new Finding(Severity.INFO, "dead letters '" + kind + "'", msg, "");
    }

    /** The setting that governs a fault or dead-letter reason. */
    static String settingForReason(String reason) {
        String r = reason.toLowerCase(Locale.ROOT);
        if (r.contains("ttl expired")) {
            return "messages waited too long: raise messaging.message_ttl or speed up the receiver";
        }
        if (r.contains("hop limit")) {
            return "a message loop: fix the agents that answer each other; messaging.max_hops bounds it";
        }
        if (r.contains("fuel")) {
            return "raise the agent's limits.fuel";
        }
        if (r.contains("timeout")) {
            return "raise the agent's limits.execution_timeout_ms";
        }
        if (r.contains("queue") || r.contains("mailbox") || r.contains("full")) {
            return "raise messaging.queue_size or add agents";
        }
        if (r.startsWith("trap") || r.contains("trapped")) {
            return "the agent trapped: a bug in the agent (see its last_fault); fix it and redeploy (caxton agent deploy)";
        }
        if (r.contains("node unreachable")) {
            return "a node is down or cut off: check `caxton cluster members`; messaging.delivery_timeout sets the wait";
        }
        if (r.contains("memory") || r.contains("out-of-bounds")) {
            return "the agent's limits.memory_bytes, or a bug in the agent";
        }
        if (r.contains("failed")) {
            return "fix and redeploy the failed agent";
        }
        return "see the node's log for these messages";
    }

    /**
     * A memory analysis: the heap's low points (after collections) in the first and second half of
     * the samples; growth of the floor is what a leak looks like, a high peak alone is not.
     *
     * @param heapUsed samples of the heap in use, oldest first (at least 2)
     * @param heapMax  the maximum heap
     * @return the finding
     */
    static Finding heapGrowth(List<Long> heapUsed, long heapMax) {
        if (heapUsed.size() < 2) {
            return new Finding(Severity.INFO, "heap", "too few samples to judge growth", "give a longer --duration");
        }
        int half = heapUsed.size() / 2;
        long firstFloor = heapUsed.subList(0, half).stream().min(Long::compare).orElse(0L);
        long secondFloor = heapUsed.subList(half, heapUsed.size()).stream().min(Long::compare).orElse(0L);
        long growth = secondFloor - firstFloor;
        double share = heapMax <= 0 ? 0 : (double) growth / heapMax;
        String msg = "low point went from " + mib(firstFloor) + " to " + mib(secondFloor) + " ("
                + (growth >= 0 ? "+" : "") + mib(growth) + ", " + pct(share) + " of the maximum " + mib(heapMax) + ")";
        if (share >= HEAP_GROWTH_WARN) {
            return new Finding(Severity.WARNING, "heap", msg + ": memory is retained; it grows under this load",
                    "record where it goes: caxton profile memory --duration 2m --output mem.jfr, then "
                            + "jfr print --events jdk.OldObjectSample mem.jfr");
        }
        return new Finding(Severity.OK, "heap", msg + ": no lasting growth", "");
    }

    static Finding gossip(String membership, Map<String, Integer> byState, boolean partitioned, int alive, int quorum) {
        if ("fixed".equals(membership) || "static".equals(membership)) {
            return new Finding(Severity.INFO, "membership", "no gossip membership running (membership: fixed, "
                    + "heartbeats to a fixed node list)", "coordination.cluster.membership: swim for gossip");
        }
        if (partitioned) {
            return new Finding(Severity.CRITICAL, "partition", "this node sees " + alive + " alive, fewer than the quorum of "
                    + quorum + ": it is on the minority side", "check the network between nodes; "
                    + "coordination.partition.quorum_size sets the quorum");
        }
        int suspect = byState.getOrDefault("suspect", 0);
        int dead = byState.getOrDefault("dead", 0);
        if (suspect > 0 || dead > 0) {
            return new Finding(Severity.WARNING, "members", suspect + " suspect, " + dead + " dead of "
                    + byState.values().stream().mapToInt(Integer::intValue).sum(),
                    "a node stopped answering: check it; if it is only slow, raise the membership's suspect/dead "
                            + "timeouts (docs/membership.md)");
        }
        return new Finding(Severity.OK, "members", "all " + alive + " members alive", "");
    }

    /**
     * Findings of a {@code performance diagnose}, worst first.
     *
     * @param health      {@code GET /health}
     * @param agents      {@code GET /agents}
     * @param diagnostics {@code GET /diagnostics}
     * @return the findings
     */
    static List<Finding> diagnose(JsonNode health, JsonNode agents, JsonNode diagnostics) {
        List<Finding> out = new ArrayList<>();
        long nodeCapacity = diagnostics.path("queues").path("queue_size").asLong(0);
        long capacity = 0;
        for (JsonNode size : diagnostics.path("queues").path("priorities")) {
            capacity += size.asLong();
        }
        long total = 0;
        for (JsonNode a : agents.path("agents")) {
            String name = a.path("name").asText();
            JsonNode c = a.path("counters");
            total += c.path("queued").asLong();
            out.add(queue(name, c.path("queued").asLong(), capacity));
            out.add(fuel(name, c.path("fuel_max").isNumber() ? c.path("fuel_max").asLong() : -1,
                    a.path("limits").path("fuel").asLong(0)));
            out.add(faults(name, a.path("state").asText(), c.path("faults").asLong(), a.path("last_fault").isNull()
                    ? null : a.path("last_fault").asText()));
        }
        out.add(nodeQueue(total, nodeCapacity));
        JsonNode budget = health.path("memory_budget");
        out.add(budget(budget.path("in_use_bytes").asLong(), budget.path("budget_bytes").asLong()));
        JsonNode jvm = diagnostics.path("jvm");
        out.add(heap(jvm.path("heap_used_bytes").asLong(), jvm.path("heap_max_bytes").asLong()));
        JsonNode dl = diagnostics.path("dead_letters");
        var it = dl.path("by_reason").properties().iterator();
        while (it.hasNext()) {
            var e = it.next();
            out.add(deadLetters(e.getKey(), e.getValue().asLong(), dl.path("sampled").asLong()));
        }
        out.sort(Comparator.comparing(Finding::severity).reversed());
        return out;
    }

    static String pct(double share) {
        return String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
