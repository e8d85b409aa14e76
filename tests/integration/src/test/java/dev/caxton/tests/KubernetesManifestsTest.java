package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.runtime.plugin.Spi;
import dev.caxton.spi.membership.Seeds;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/kubernetes and deploy/Containerfile, checked without a cluster: the manifests agree with
 * each other (labels, selectors, the headless service, ports, mounts), the ConfigMap's caxton.yaml
 * with the pod's overrides is a configuration the node accepts, and the probes hit what a real node
 * of the image serves. The container image is built only where a working builder is present.
 */
class KubernetesManifestsTest {

    private static final Path DEPLOY = Image.ROOT.resolve("deploy");
    private static final YAMLMapper YAML = new YAMLMapper();

    @TempDir
    Path dir;

    private static JsonNode read(String file) throws IOException {
        return YAML.readTree(DEPLOY.resolve("kubernetes").resolve(file).toFile());
    }

    private static JsonNode container(JsonNode sts) {
        JsonNode containers = sts.at("/spec/template/spec/containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    private static int containerPort(JsonNode sts, String name) {
        for (JsonNode p : container(sts).path("ports")) {
            if (name.equals(p.path("name").asText())) {
                return p.path("containerPort").asInt();
            }
        }
        throw new AssertionError("the container has no port named " + name);
    }

    private static Map<String, String> labels(JsonNode n) {
        Map<String, String> m = new HashMap<>();
        n.properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    private static String arg(List<String> args, String option) {
        int i = args.indexOf(option);
        assertThat(i).as("%s in %s", option, args).isNotNegative();
        return args.get(i + 1);
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(a -> out.add(a.asText()));
        return out;
    }

    @Test
    void labelsSelectorsServiceAndMountsAgree() throws IOException {
        JsonNode sts = read("statefulset.yaml");
        JsonNode svc = read("service-seeds.yaml");
        JsonNode cm = read("configmap.yaml");
        assertThat(sts.path("kind").asText()).isEqualTo("StatefulSet");
        assertThat(svc.path("kind").asText()).isEqualTo("Service");
        assertThat(cm.path("kind").asText()).isEqualTo("ConfigMap");

        Map<String, String> podLabels = labels(sts.at("/spec/template/metadata/labels"));
        Map<String, String> matchLabels = labels(sts.at("/spec/selector/matchLabels"));
        Map<String, String> svcSelector = labels(svc.at("/spec/selector"));
        assertThat(matchLabels).isNotEmpty();
        assertThat(podLabels).containsAllEntriesOf(matchLabels).containsAllEntriesOf(svcSelector);
        assertThat(svcSelector).isNotEmpty();

        // The headless service: it names the pods and is the seed list, ready or not.
        assertThat(sts.at("/spec/serviceName").asText()).isEqualTo(svc.at("/metadata/name").asText());
        assertThat(svc.at("/spec/clusterIP").asText()).isEqualTo("None");
        assertThat(svc.at("/spec/publishNotReadyAddresses").asBoolean()).isTrue();
        for (JsonNode p : svc.at("/spec/ports")) {
            assertThat(p.path("port").asInt()).as("service port %s", p.path("name").asText())
                    .isEqualTo(containerPort(sts, p.path("targetPort").asText()));
        }

        // The ConfigMap is mounted where --config reads it; the data volume where --data-dir points.
        JsonNode c = container(sts);
        List<String> args = strings(c.path("args"));
        Map<String, String> mounts = new HashMap<>();
        c.path("volumeMounts").forEach(m -> mounts.put(m.path("name").asText(), m.path("mountPath").asText()));
        JsonNode configVolume = null;
        for (JsonNode v : sts.at("/spec/template/spec/volumes")) {
            if (v.has("configMap")) {
                configVolume = v;
            }
        }
        assertThat(configVolume).isNotNull();
        assertThat(configVolume.at("/configMap/name").asText()).isEqualTo(cm.at("/metadata/name").asText());
        assertThat(arg(args, "--config")).isEqualTo(mounts.get(configVolume.path("name").asText()) + "/caxton.yaml");
        assertThat(cm.at("/data").has("caxton.yaml")).isTrue();
        String claim = sts.at("/spec/volumeClaimTemplates/0/metadata/name").asText();
        assertThat(arg(args, "--data-dir")).isEqualTo(mounts.get(claim));

        List<String> kustomized = strings(read("kustomization.yaml").path("resources"));
        assertThat(kustomized).containsExactlyInAnyOrder("configmap.yaml", "service-seeds.yaml", "statefulset.yaml");
    }

    @Test
    void theConfigMapWithThePodsOverridesIsAcceptedAndMatchesThePorts() throws IOException {
        JsonNode sts = read("statefulset.yaml");
        JsonNode svc = read("service-seeds.yaml");
        String yaml = read("configmap.yaml").at("/data/caxton.yaml").asText();

        // CAXTON_OPTS as the kubelet expands it: $(VAR) may only name variables defined before it.
        Map<String, String> sample = Map.of("metadata.name", "caxton-0", "status.podIP", "10.1.2.3");
        Map<String, String> env = new HashMap<>();
        String opts = null;
        for (JsonNode e : container(sts).path("env")) {
            String name = e.path("name").asText();
            String value = e.has("valueFrom") ? sample.get(e.at("/valueFrom/fieldRef/fieldPath").asText())
                    : e.path("value").asText();
            assertThat(value).as("env %s", name).isNotNull();
            Matcher m = Pattern.compile("\\$\\(([A-Z_]+)\\)").matcher(value);
            StringBuilder expanded = new StringBuilder();
            while (m.find()) {
                assertThat(env).as("env %s refers to $(%s), defined before it", name, m.group(1)).containsKey(m.group(1));
                m.appendReplacement(expanded, Matcher.quoteReplacement(env.get(m.group(1))));
            }
            m.appendTail(expanded);
            env.put(name, expanded.toString());
            if (name.equals("CAXTON_OPTS")) {
                opts = expanded.toString();
            }
        }
        assertThat(opts).isNotNull();
        Properties props = new Properties();
        for (String word : opts.trim().split("\\s+")) {
            assertThat(word).startsWith("-Dcaxton.");
            int eq = word.indexOf('=');
            props.setProperty(word.substring(2, eq), word.substring(eq + 1));
        }

        // The node's own loader: unknown keys, bad values and unknown providers are refused here.
        CaxtonConfig config = CaxtonConfig.parse("configmap.yaml", yaml, PluginCatalog.discover(null), props);
        assertThat(config.string("server.node_name")).isEqualTo("caxton-0");
        assertThat(config.integer("server.port")).isEqualTo(containerPort(sts, "api"));
        assertThat(config.integer("server.metrics_port")).isEqualTo(containerPort(sts, "metrics"));
        assertThat(config.integer("transport.port")).isEqualTo(containerPort(sts, "transport"));
        assertThat(config.string("transport.host")).isEqualTo("10.1.2.3");
        assertThat(config.string("server.data_dir")).isEqualTo(arg(strings(container(sts).path("args")), "--data-dir"));
        assertThat(config.duration("server.shutdown_timeout").toSeconds())
                .isLessThan(sts.at("/spec/template/spec/terminationGracePeriodSeconds").asLong());

        int jgroups = containerPort(sts, "jgroups");
        assertThat(config.string("coordination.cluster.membership")).isEqualTo("jgroups");
        assertThat(config.providerConfig(Spi.MEMBERSHIP, "jgroups").string("bind_addr", ""))
                .isEqualTo("10.1.2.3:" + jgroups);
        List<String> seeds = config.list("coordination.cluster.seeds");
        assertThat(seeds).isNotEmpty();
        int svcJgroups = -1;
        for (JsonNode p : svc.at("/spec/ports")) {
            if (p.path("targetPort").asText().equals("jgroups")) {
                svcJgroups = p.path("port").asInt();
            }
        }
        for (String s : seeds) {
            Seeds.HostPort hp = Seeds.split(s);
            String service = svc.at("/metadata/name").asText();
            assertThat(hp.host()).as("seed %s names the headless service", s)
                    .matches(Pattern.quote(service) + "(\\..*)?");
            assertThat(hp.port()).as("seed %s: JGroups' port", s).isEqualTo(jgroups).isEqualTo(svcJgroups);
        }
    }

    @Test
    void theProbesHitWhatARealNodeServes() throws Exception {
        JsonNode sts = read("statefulset.yaml");
        JsonNode c = container(sts);
        JsonNode liveness = c.path("livenessProbe").path("httpGet");
        JsonNode readiness = c.path("readinessProbe").path("httpGet");
        assertThat(liveness.path("port").asText()).isEqualTo("api");
        assertThat(readiness.path("port").asText()).isEqualTo("api");
        assertThat(containerPort(sts, "api")).isPositive();

        try (Image.Server s = new Image.Server(dir, "storage:\n  type: memory\n")) {
            // Kubelet sends no token: both probes must answer without one.
            for (JsonNode probe : List.of(liveness, readiness)) {
                HttpResponse<String> r = apiGet(s, probe.path("path").asText());
                assertThat(r.statusCode()).as("probe GET %s: %s", probe.path("path").asText(), r.body()).isEqualTo(200);
            }
        }
    }

    private static HttpResponse<String> apiGet(Image.Server s, String path) throws IOException, InterruptedException {
        try (java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient()) {
            return client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.url() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void theContainerfileCopiesTheImageAndRunsWhatTheStatefulSetExpects() throws Exception {
        String file = Files.readString(DEPLOY.resolve("Containerfile"));
        JsonNode sts = read("statefulset.yaml");
        JsonNode c = container(sts);
        assertThat(file).contains("COPY distribution/target/caxton /opt/caxton");
        assertThat(file).contains("ENTRYPOINT [\"/opt/caxton/bin/caxton\"]");
        assertThat(file).containsPattern("(?m)^FROM .*(debian:.*-slim|distroless)");
        long uid = sts.at("/spec/template/spec/securityContext/runAsUser").asLong();
        assertThat(file).contains("USER " + uid);
        for (JsonNode p : c.path("ports")) {
            assertThat(file).containsPattern("(?m)^EXPOSE .*\\b" + p.path("containerPort").asInt() + "\\b");
        }

        String builder = workingBuilder();
        Assumptions.assumeTrue(builder != null, "no working container builder (podman, docker, buildah) here");
        List<String> cmd = builder.equals("buildah")
                ? List.of("buildah", "bud", "-f", "deploy/Containerfile", "-t", "caxton-test:manifests", ".")
                : List.of(builder, "build", "-f", "deploy/Containerfile", "-t", "caxton-test:manifests", ".");
        Process p = new ProcessBuilder(cmd).directory(Image.ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("build.log").toFile()).start();
        assertThat(p.waitFor(30, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("build.log"))).isZero();
    }

    /** The first of podman, docker, buildah that is installed and answers (a daemon that runs, for docker). */
    private static String workingBuilder() {
        for (String b : List.of("podman", "docker", "buildah")) {
            try {
                Process p = new ProcessBuilder(b, "info").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return b;
                }
                p.destroyForcibly();
            } catch (IOException e) {
                // not installed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }
}
