package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three {@code bin/caxton} processes A, B and C on loopback that list each other in
 * {@code membership: fixed}, and the API calls the cluster tests share.
 */
final class ClusterNodes {

    static final String[] NAMES = {"A", "B", "C"};

    /**
     * What the nodes of one test share.
     *
     * @param messagingYaml more keys of the {@code messaging} section, one {@code key: value} a line
     * @param staticYaml    more keys of {@code coordination.cluster.static}, likewise
     * @param transportYaml more keys of the {@code transport} section, likewise
     */
    record Spec(String transport, String serializer, String storage, String messagingYaml, String staticYaml,
                String transportYaml) {
        Spec(String transport, String serializer) {
            this(transport, serializer, "memory", "", "", "");
        }
    }

    private ClusterNodes() {
    }

    /** Starts A, B and C, each in {@code dir/<name>}; stops those started if one fails. */
    static List<Image.Server> start(Path dir, Spec spec) throws Exception {
        return start(dir, spec, "");
    }

    /** As {@link #start(Path, Spec)}, with more top-level sections (e.g. {@code observability}) on every node. */
    static List<Image.Server> start(Path dir, Spec spec, String extraYaml) throws Exception {
        int[] ports = Image.freePorts(3);
        List<Image.Server> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                String yaml = """
                        messaging:
                          serializer: %s
                        %sstorage:
                          type: %s
                        runtime:
                          chicory:
                            mode: interpreter
                        transport:
                          type: %s
                          host: 127.0.0.1
                          port: %d
                        %scoordination:
                          partition:
                            quorum_size: 3
                          cluster:
                            membership: fixed
                            directory_sync_interval: 300ms
                            static:
                              nodes: [%s]
                        %s""".formatted(spec.serializer(), spec.messagingYaml().indent(2), spec.storage(),
                        spec.transport(), ports[i], spec.transportYaml().indent(2), peers(i, ports), spec.staticYaml().indent(6))
                        + extraYaml;
                Path d = dir.resolve(NAMES[i]);
                Files.createDirectories(d);
                servers.add(new Image.Server(d, yaml, "node_name: " + NAMES[i]));
            }
        } catch (Exception | AssertionError e) {
            for (Image.Server s : servers) {
                s.close();
            }
            throw e;
        }
        return servers;
    }

    /** The {@code static.nodes} list of node {@code i}: the other nodes at their transport ports. */
    static String peers(int i, int[] ports) {
        List<String> others = new ArrayList<>();
        for (int j = 0; j < NAMES.length; j++) {
            if (j != i) {
                others.add("\"" + NAMES[j] + "@127.0.0.1:" + ports[j] + "\"");
            }
        }
        return String.join(", ", others);
    }

    /** Deploys an example agent on {@code s} through its API. */
    static void deploy(Image.Server s, String name, String example, String... caps) throws Exception {
        ObjectNode body = Image.JSON.createObjectNode().put("name", name)
                .put("wasm_module", Base64.getEncoder().encodeToString(Files.readAllBytes(Image.example(example))));
        var arr = body.putArray("capabilities");
        Arrays.stream(caps).forEach(arr::add);
        HttpResponse<String> r = s.http("POST", "/api/v1/agents", body.toString(), s.token());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    /** Polls {@code condition} until it holds, failing after a generous 60 s. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60s: " + what);
            }
            Thread.sleep(50);
        }
    }

    /** Agents the node sees cluster-wide, name to node. */
    static Map<String, String> allAgents(Image.Server s) {
        Map<String, String> m = new HashMap<>();
        try {
            for (JsonNode a : s.api("GET", "/api/v1/agents?all=true", null).path("agents")) {
                m.put(a.path("name").asText(), a.path("node").asText());
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return m;
    }

    /** The state {@code s} gives node {@code name} in {@code GET /cluster/members}, or null if unlisted. */
    static String memberState(Image.Server s, String name) {
        try {
            for (JsonNode m : s.api("GET", "/api/v1/cluster/members", null).path("members")) {
                if (name.equals(m.path("name").asText())) {
                    return m.path("state").asText();
                }
            }
            return null;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Sends a request through {@code s}'s API, waits for the reply and returns it. */
    static JsonNode request(Image.Server s, String addressing) throws Exception {
        HttpResponse<String> r = s.http("POST", "/api/v1/messages",
                "{\"performative\":\"request\"," + addressing + ",\"content\":\"hi\",\"wait_ms\":30000}", s.token());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Image.JSON.readTree(r.body()).path("reply");
    }

    static void closeAll(List<Image.Server> servers) throws InterruptedException {
        for (Image.Server x : servers) {
            x.close();
        }
    }
}
