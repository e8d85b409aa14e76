package dev.caxton.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** How client commands find the server and the token, and how every way of failing to talk to it reads. */
class ConnectionTest {

    static final String CLUSTER = """
            {"members":[
             {"name":"node-1","id":"node-1","self":true,"state":"alive","incarnation":1765000000000,"address":"127.0.0.1:7946",
              "api":"127.0.0.1:8080","agents":3,"last_heard":null,"last_heard_ms_ago":null,"metadata":{}},
             {"name":"node-2","id":"node-2","self":false,"state":"suspect","incarnation":7,"address":"10.0.0.2:7946",
              "api":"10.0.0.2:8080","agents":12,"last_heard":"2026-12-06T01:59:58.500Z","last_heard_ms_ago":1500},
             {"name":"node-3","self":false,"state":"dead","address":"10.0.0.3:7946","api":null,"agents":null,
              "last_heard":null,"last_heard_ms_ago":null},
             {"id":"node-4","state":"alive","address":"10.0.0.4:7946","last_heard_ms_ago":42000}]}""";

    @TempDir
    Path dir;

    FakeApi api;

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
        api.on("GET", "/api/v1/cluster/members", 200, CLUSTER);
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void clusterMembersRenderAsATable() {
        Cli.Result r = Cli.against(api, "cluster", "members");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).containsExactly(
                "NAME    STATE    INCARNATION    ADDRESS         API             AGENTS  LAST HEARD",
                "node-1  alive    1765000000000  127.0.0.1:7946  127.0.0.1:8080  3       (this node)",
                "node-2  suspect  7              10.0.0.2:7946   10.0.0.2:8080   12      1500ms ago",
                "node-3  dead     -              10.0.0.3:7946   -               -       never",
                "node-4  alive    -              10.0.0.4:7946   -               -       42s ago");
    }

    @Test
    void aSuspectedPartitionIsSaidUnderTheTable() {
        api.on("GET", "/api/v1/cluster/members", 200, CLUSTER.substring(0, CLUSTER.length() - 1)
                + ",\"partition\":{\"alive\":2,\"quorum\":3,\"partitioned\":true}}");

        Cli.Result r = Cli.against(api, "cluster", "members");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).last().isEqualTo(
                "partition suspected: 2 alive, fewer than the quorum of 3 (coordination.partition.quorum_size)");
    }

    @Test
    void serverHealthExitsZeroOnlyWhenTheNodeIsOk() {
        api.on("GET", "/api/v1/health", 200, "{\"status\":\"ok\",\"node\":\"node-1\"}");
        Cli.Result ok = Cli.against(api, "server", "health");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).isEqualTo("node node-1: ok\n");

        api.on("GET", "/api/v1/health", 200, "{\"status\":\"stopping\",\"node\":\"node-1\"}");
        Cli.Result stopping = Cli.against(api, "server", "health");
        assertThat(stopping.code()).isEqualTo(1);
        assertThat(stopping.err()).contains("node-1 is stopping");
    }

    @Test
    void clusterLeaveAsksTheNodeToLeaveAndSaysSo() {
        api.on("POST", "/api/v1/cluster/leave", 200, "{\"node\":\"node-1\",\"left\":true,\"state\":\"left\"}");

        Cli.Result r = Cli.against(api, "cluster", "leave");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("node node-1 left the cluster\n");
        assertThat(api.only().method()).isEqualTo("POST");
    }

    @Test
    void clusterMembersAsJsonKeepEveryField() throws Exception {
        Cli.Result r = Cli.against(api, "cluster", "members", "--output", "json");

        assertThat(r.code()).as(r.err()).isZero();
        var members = Json.mapper().readTree(r.out()).path("members");
        assertThat(members).hasSize(4);
        assertThat(members.get(1).path("name").asText()).isEqualTo("node-2");
        assertThat(members.get(1).path("agents").asInt()).isEqualTo(12);
        assertThat(members.get(1).path("last_heard").asText()).isEqualTo("2026-12-06T01:59:58.500Z");
        assertThat(members.get(0).path("last_heard").isNull()).isTrue();
    }

    @Test
    void deadLettersPassTheLimitAndRenderAsATable() {
        api.on("GET", "/api/v1/dead-letters", 200, "{\"dead_letters\":[{\"id\":\"d-1\",\"receiver\":\"crashy\","
                + "\"reason\":\"trap: unreachable\",\"at\":1700000000000,\"envelope\":{\"performative\":\"request\"}}]}");

        Cli.Result r = Cli.against(api, "dead-letters", "list", "--limit", "5");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(api.only().query()).isEqualTo("limit=5");
        assertThat(r.out().lines().toList()).containsExactly(
                "ID   AT                    RECEIVER  PERFORMATIVE  REASON",
                "d-1  2023-11-14T22:13:20Z  crashy    request       trap: unreachable");
        assertThat(Cli.against(api, "dead-letters", "list", "--limit", "0").code()).isEqualTo(2);
    }

    @Test
    void aMissingTokenIsOneLineAndNothingIsSent() {
        Cli.Result r = Cli.run("cluster", "members", "--server", api.url(), "--data-dir", dir.toString());

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString()
                .startsWith("caxton: no API token")
                .contains("--token").contains("CAXTON_TOKEN").contains(dir.resolve("api-token").toString());
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void theTokenComesFromTheEnvironment() {
        Cli.Result r = Cli.runWithEnv(Map.of("CAXTON_TOKEN", FakeApi.TOKEN),
                "cluster", "members", "--server", api.url(), "--data-dir", dir.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(api.only().token()).isEqualTo(FakeApi.TOKEN);
    }

    @Test
    void caxtonConfigNamesTheConfigurationWhenConfigIsNotGiven() throws Exception {
        // The fake API's address, written as the configuration's server section: found only through the file.
        java.net.URI url = java.net.URI.create(api.url());
        Path config = Files.writeString(dir.resolve("elsewhere.yaml"), LocalCommandTest.testConfig(url.getPort(), dir)
                .replace("server:\n", "server:\n  host: " + url.getHost() + "\n"));
        Cli.Result r = Cli.runWithEnv(Map.of("CAXTON_TOKEN", FakeApi.TOKEN, "CAXTON_CONFIG", config.toString()),
                "cluster", "members");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(api.requests()).hasSize(1);
    }

    @Test
    void theTokenComesFromTheDataDirectory() throws Exception {
        Files.writeString(dir.resolve("api-token"), FakeApi.TOKEN + "\n");

        Cli.Result r = Cli.run("cluster", "members", "--server", api.url(), "--data-dir", dir.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(api.only().token()).isEqualTo(FakeApi.TOKEN);
    }

    @Test
    void theOptionBeatsTheEnvironment() {
        Cli.Result r = Cli.runWithEnv(Map.of("CAXTON_TOKEN", "stale"),
                "cluster", "members", "--server", api.url(), "--token", FakeApi.TOKEN);

        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void aRejectedTokenIsOneLineWithTheStatus() {
        Cli.Result r = Cli.run("cluster", "members", "--server", api.url(), "--token", "wrong");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString()
                .startsWith("caxton: 401 missing or wrong API token")
                .contains("--token");
        assertThat(api.only().token()).isEqualTo("wrong");
    }

    @Test
    void aServerThatIsDownIsOneLineAndAFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }

        Cli.Result r = Cli.run("agent", "list", "--server", "http://127.0.0.1:" + port, "--token", "t");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly("caxton: cannot reach the server at http://127.0.0.1:" + port
                + " (connection refused) — is it running?");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void aServerUrlThatIsNotOneIsAUsageError() {
        Cli.Result r = Cli.run("agent", "list", "--server", "localhost:8080", "--token", "t");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errLines()).singleElement().asString().startsWith("caxton: --server:").contains("localhost:8080");
    }

    @Test
    void anAnswerThatIsNotJsonIsReportedAsSuch() {
        api.on("GET", "/api/v1/agents", 200, "<html>proxy login</html>");

        Cli.Result r = Cli.against(api, "agent", "list");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString().contains("not JSON").contains("<html>proxy login</html>");
    }

    @Test
    void theServerAndTokenComeFromTheConfigurationFile() throws Exception {
        Path data = Files.createDirectories(dir.resolve("node-data"));
        Files.writeString(data.resolve("secret.token"), FakeApi.TOKEN);
        int port = Integer.parseInt(api.url().substring(api.url().lastIndexOf(':') + 1));
        Path config = Files.writeString(dir.resolve("caxton.yaml"), LocalCommandTest.testConfig(port, data)
                + "security:\n  token_file: secret.token\n");

        Cli.Result r = Cli.run("cluster", "members", "--config", config.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(api.only().token()).isEqualTo(FakeApi.TOKEN);
    }

    @Test
    void aBrokenConfigurationFileIsOneLineNamingFileAndKey() throws Exception {
        Path config = Files.writeString(dir.resolve("bad.yaml"), "server:\n  prot: 8080\n");

        Cli.Result r = Cli.run("agent", "list", "--config", config.toString(), "--token", "t");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString()
                .startsWith("caxton: ").contains(config.toString()).contains("server.prot");
    }
}
