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

    private Set<String> served() throws Exception {
        try (TestServer s = new TestServer(dir, "", "")) {
            s.deploy("echo", TestServer.ECHO);
            return new TreeSet<>(ExpositionParser.parseText(s.metrics("GET", "/metrics").body()).keySet());
        }
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
