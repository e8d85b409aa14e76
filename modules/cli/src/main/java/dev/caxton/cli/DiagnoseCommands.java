package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The diagnostics: {@code performance diagnose}, {@code memory analyze} and
 * {@code cluster analyze-gossip}. Each reads live figures from the node and prints the findings of
 * {@link Findings}, worst first, each with the setting to change; the exit code is 0 even with
 * findings (they describe the node, not a failure of the command).
 */
final class DiagnoseCommands {

    private DiagnoseCommands() {
    }

    static void print(PrintWriter out, boolean json, String title, List<Findings.Finding> findings, ObjectNode extra) {
        if (json) {
            ObjectNode o = extra == null ? Json.object() : extra;
            ArrayNode arr = o.putArray("findings");
            for (Findings.Finding f : findings) {
                ObjectNode n = arr.addObject();
                n.put("severity", f.severity().name().toLowerCase(java.util.Locale.ROOT));
                n.put("subject", f.subject());
                n.put("message", f.message());
                n.put("setting", f.setting().isEmpty() ? null : f.setting());
            }
            Json.print(out, o);
            return;
        }
        out.println(title);
        long problems = findings.stream().filter(f -> f.severity().compareTo(Findings.Severity.WARNING) >= 0).count();
        for (Findings.Finding f : findings) {
            out.println("  " + f);
        }
        out.println(problems == 0 ? "no problems found" : problems + " finding(s) need attention");
    }

    /** {@code caxton performance}. */
    @Command(name = "performance", description = "Performance diagnostics of a running node.")
    static final class Performance {

        /** {@code caxton performance diagnose}. */
        @Command(name = "diagnose", description = {"Judges the node's live figures: queue depths against capacities, "
                + "fuel near limits, faults, dead-letter reasons, memory budget and heap.",
            "Each finding names the setting to change; thresholds are in docs/operations.md."})
        static final class Diagnose extends ClientCommand {
            @Override
            int run(ApiClient api, PrintWriter out) {
                JsonNode health = api.get("/health");
                JsonNode agents = api.get("/agents");
                JsonNode diag = api.get("/diagnostics");
                List<Findings.Finding> findings = Findings.diagnose(health, agents, diag);
                print(out, json(), "performance of node " + health.path("node").asText() + " ("
                        + agents.path("agents").size() + " agents, " + diag.path("dead_letters").path("total").asLong()
                        + " dead letters; p99 message processing: " + TopCommand.p99(null,
                        new TopCommand.Sample(0, health, agents, MissingNode.getInstance(), diag), 0) + ")",
                        findings, null);
                return 0;
            }
        }
    }

    /** {@code caxton memory}. */
    @Command(name = "memory", description = "Memory diagnostics of a running node.")
    static final class Memory {

        /** {@code caxton memory analyze}. */
        @Command(name = "analyze", description = {"Samples the node's heap and agents' memory over DURATION and reports "
                + "growth (the heap's low point rising is what retained memory looks like; a high peak alone is not)."})
        static final class Analyze extends ClientCommand {

            @Option(names = "--duration", paramLabel = "DURATION", converter = Quantity.Time.class,
                    description = "How long to sample (default: 30s).")
            Duration duration;

            @Option(names = "--interval", paramLabel = "DURATION", converter = Quantity.Time.class,
                    description = "Time between samples (default: 1s).")
            Duration interval;

            @Override
            void prepare() {
                duration = duration == null ? Duration.ofSeconds(30) : duration;
                interval = interval == null ? Duration.ofSeconds(1) : interval;
                if (interval.isZero() || duration.compareTo(interval) < 0) {
                    throw CliException.usage("--duration (" + Json.formatDuration(duration) + ") must be at least "
                            + "--interval (" + Json.formatDuration(interval) + "), which must be more than zero");
                }
            }

            @Override
            int run(ApiClient api, PrintWriter out) {
                List<Long> heap = new ArrayList<>();
                long heapMax = 0;
                long budgetFirst = -1;
                long budgetLast = -1;
                long budget = 0;
                long deadline = System.nanoTime() + duration.toNanos();
                while (true) {
                    JsonNode diag = api.get("/diagnostics");
                    JsonNode health = api.get("/health");
                    heap.add(diag.path("jvm").path("heap_used_bytes").asLong());
                    heapMax = diag.path("jvm").path("heap_max_bytes").asLong();
                    budgetLast = health.path("memory_budget").path("in_use_bytes").asLong();
                    budget = health.path("memory_budget").path("budget_bytes").asLong();
                    if (budgetFirst < 0) {
                        budgetFirst = budgetLast;
                    }
                    if (System.nanoTime() >= deadline) {
                        break;
                    }
                    try {
                        Thread.sleep(Math.min(interval.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                List<Findings.Finding> findings = new ArrayList<>();
                findings.add(Findings.heapGrowth(heap, heapMax));
                findings.add(Findings.budget(budgetLast, budget));
                if (budgetLast != budgetFirst) {
                    findings.add(new Findings.Finding(Findings.Severity.INFO, "agents' memory",
                            "limits in use went from " + Findings.mib(budgetFirst) + " to " + Findings.mib(budgetLast)
                                    + " (deploys or undeploys meanwhile)", ""));
                }
                findings.sort(java.util.Comparator.comparing(Findings.Finding::severity).reversed());
                ObjectNode extra = Json.object();
                extra.put("samples", heap.size());
                extra.put("heap_max_bytes", heapMax);
                ArrayNode h = extra.putArray("heap_used_bytes");
                heap.forEach(h::add);
                print(out, json(), heap.size() + " samples over " + Json.formatDuration(duration) + ": heap "
                        + Findings.mib(heap.stream().min(Long::compare).orElse(0L)) + " .. "
                        + Findings.mib(heap.stream().max(Long::compare).orElse(0L)) + " of " + Findings.mib(heapMax),
                        findings, extra);
                return 0;
            }
        }
    }

    /** {@code caxton cluster analyze-gossip}. */
    @Command(name = "analyze-gossip", description = {"Judges the membership: who is alive, suspect or dead, and "
            + "whether this node is on the minority side of a partition.",
        "With the static membership there is no gossip to analyse, and it says so."})
    static final class AnalyzeGossip extends ClientCommand {
        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode health = api.get("/health");
            String membership = health.path("providers").path("membership").asText("");
            JsonNode cluster = health.path("cluster");
            List<Findings.Finding> findings = new ArrayList<>();
            Map<String, Integer> byState = new LinkedHashMap<>();
            JsonNode members = api.get("/cluster/members").path("members");
            for (JsonNode m : members) {
                byState.merge(m.path("state").asText(), 1, Integer::sum);
            }
            findings.add(Findings.gossip(membership, byState, cluster.path("partitioned").asBoolean(),
                    cluster.path("alive").asInt(), cluster.path("quorum").asInt()));
            ObjectNode extra = Json.object();
            extra.put("membership", membership);
            ObjectNode states = extra.putObject("members_by_state");
            byState.forEach(states::put);
            print(out, json(), "membership " + membership + ": " + members.size() + " member(s) " + byState, findings, extra);
            return 0;
        }
    }
}
