package dev.caxton.server;

import dev.caxton.testkit.ExpositionParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metrics reference, the alert rules and the dashboard agree with what a real node serves:
 * every family it serves is documented, and every metric the rules and dashboard query exists.
 */
class MetricsDocsTest {

    private static final Path ROOT = Path.of("../..");
    private static final Pattern NAME = Pattern.compile("\\b((?:caxton|jvm|process)_[a-z_]+)\\b");

    @TempDir
    Path dir;

    /**
     * What a node serves: one with the defaults, and one with the providers that add families of
     * their own (a SWIM membership: packet drops, protocol events, convergence; a trace exporter:
     * spans sent and hops dropped), so the dashboard's panels for those are checked too.
     */
    private Set<String> served() throws Exception {
        Set<String> names = new TreeSet<>();
        try (TestServer s = new TestServer(Files.createDirectories(dir.resolve("plain")), "", "")) {
            s.deploy("echo", TestServer.ECHO);
            names.addAll(ExpositionParser.parseText(s.metrics("GET", "/metrics").body()).keySet());
        }
        try (TestServer s = new TestServer(Files.createDirectories(dir.resolve("swim")), "", WITH_OPTIONAL_FAMILIES)) {
            names.addAll(ExpositionParser.parseText(s.metrics("GET", "/metrics").body()).keySet());
        }
        return names;
    }

    // Nothing listens on the exporter's endpoint: the families exist whether or not a collector does.
    private static final String WITH_OPTIONAL_FAMILIES = """
            coordination:
              cluster:
                membership: swim
                swim:
                  bind_addr: 127.0.0.1:0
            observability:
              tracing:
                enabled: true
                exporter: otlp
                otlp:
                  endpoint: http://127.0.0.1:9
            """;

    @Test
    void theOptionalFamiliesAreServedWhenTheirProvidersRun() throws Exception {
        assertThat(served()).contains("caxton_membership_packets_dropped_total", "caxton_membership_events_total",
                "caxton_gossip_convergence_time_seconds", "caxton_trace_export_dropped_total",
                "caxton_trace_spans_exported_total");
    }

    @Test
    void theDashboardHasPanelsForMembershipAndTraceExport() throws Exception {
        Set<String> queried = mentioned(ROOT.resolve("deploy/grafana/caxton-dashboard.json"));
        assertThat(queried).contains("caxton_membership_packets_dropped_total", "caxton_membership_events_total",
                "caxton_gossip_convergence_time_seconds", "caxton_trace_export_dropped_total");
    }

    private static Set<String> mentioned(Path file) throws Exception {
        Set<String> names = new TreeSet<>();
        Matcher m = NAME.matcher(Files.readString(file));
        while (m.find()) {
            names.add(m.group(1).replaceAll("_(bucket|sum|count)$", ""));
        }
        return names;
    }

    @Test
    void everyServedFamilyIsInTheReference() throws Exception {
        Set<String> documented = mentioned(ROOT.resolve("docs/operations.md"));
        assertThat(documented).containsAll(served());
    }

    @Test
    void theRulesAndTheDashboardQueryOnlyMetricsTheNodeServes() throws Exception {
        Set<String> served = served();
        Set<String> queried = new TreeSet<>(mentioned(ROOT.resolve("deploy/prometheus/caxton-alerts.yml")));
        queried.addAll(mentioned(ROOT.resolve("deploy/grafana/caxton-dashboard.json")));
        assertThat(queried).isNotEmpty();
        assertThat(served).containsAll(queried);
    }

    /** Prometheus' own rule checker, where Debian's prometheus package is installed. */
    @Test
    void promtoolAcceptsTheRules() throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(promtool), "promtool is not installed");
        Process p = new ProcessBuilder(promtool.toString(), "check", "rules",
                ROOT.resolve("deploy/prometheus/caxton-alerts.yml").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }
}
