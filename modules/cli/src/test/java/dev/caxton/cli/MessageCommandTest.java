package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MessageCommandTest {

    FakeApi api;

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void sendWithoutWaitPrintsTheAcceptedId() {
        api.on("POST", "/api/v1/messages", 202, "{\"message_id\":\"m-17\",\"accepted\":true}");

        Cli.Result r = Cli.against(api, "message", "send", "--to", "echo", "--performative", "request",
                "--content", "{\"text\":\"hi\"}", "--conversation", "c-1", "--reply-with", "r-1", "--priority", "high");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("accepted message m-17\n");
        JsonNode body = api.only().json();
        assertThat(body.get("performative").asText()).isEqualTo("request");
        assertThat(body.get("receiver").asText()).isEqualTo("echo");
        assertThat(body.get("content").get("text").asText()).isEqualTo("hi");
        assertThat(body.get("conversation_id").asText()).isEqualTo("c-1");
        assertThat(body.get("reply_with").asText()).isEqualTo("r-1");
        assertThat(body.get("priority").asText()).isEqualTo("high");
        assertThat(body.has("wait_ms")).isFalse();
        assertThat(body.has("capability")).isFalse();
        assertThat(body.has("broadcast")).isFalse();
    }

    @Test
    void contentComesFromAFileWithAtOrFromStandardInputWithADash(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        api.on("POST", "/api/v1/messages", 202, "{\"message_id\":\"m-1\",\"accepted\":true}");
        // Larger than a shell's argument limit would allow on the command line.
        String big = "{\"text\":\"" + "x".repeat(3_000_000) + "\"}";
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("content.json"), big);
        Cli.Result fromFile = Cli.against(api, "message", "send", "--to", "echo", "--performative", "inform",
                "--content", "@" + file);
        assertThat(fromFile.code()).as(fromFile.err()).isZero();
        assertThat(api.only().json().get("content").get("text").asText()).hasSize(3_000_000);

        java.io.InputStream stdin = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("[1,2,3]".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            Cli.Result fromStdin = Cli.against(api, "message", "send", "--to", "echo", "--performative", "inform",
                    "--content", "-");
            assertThat(fromStdin.code()).as(fromStdin.err()).isZero();
            assertThat(api.requests().get(1).json().get("content").toString()).isEqualTo("[1,2,3]");
        } finally {
            System.setIn(stdin);
        }

        Cli.Result missing = Cli.against(api, "message", "send", "--to", "echo", "--performative", "inform",
                "--content", "@" + dir.resolve("nope.json"));
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--content @").contains("nope.json: no such file");
    }

    @Test
    void sendWithWaitPrintsTheReply() {
        api.on("POST", "/api/v1/messages", 200, "{\"message_id\":\"m-1\",\"reply\":{\"performative\":\"inform\","
                + "\"sender\":\"echo\",\"receiver\":\"api\",\"content\":{\"text\":\"hi\"},\"in_reply_to\":\"r-1\"}}");

        Cli.Result r = Cli.against(api, "message", "send", "--to", "echo", "--performative", "request",
                "--content", "{\"text\":\"hi\"}", "--wait", "5s");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("inform from echo: {\"text\":\"hi\"}\n");
        assertThat(api.only().json().get("wait_ms").asLong()).isEqualTo(5000);
    }

    @Test
    void aFailureReplyIsPrintedAndFailsTheCommand() {
        api.on("POST", "/api/v1/messages", 200, "{\"message_id\":\"m-2\",\"reply\":{\"performative\":\"failure\","
                + "\"sender\":\"slow\",\"content\":{\"reason\":\"timeout\"}}}");

        Cli.Result r = Cli.against(api, "message", "send", "--to", "slow", "--performative", "request",
                "--content", "1", "--wait", "500ms");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("failure from slow: {\"reason\":\"timeout\"}\n");
        assertThat(r.errLines()).containsExactly("caxton: the reply to message m-2 is a failure: timeout");
        assertThat(api.only().json().get("wait_ms").asLong()).isEqualTo(500);
    }

    @Test
    void noReplyIsSaid() {
        api.on("POST", "/api/v1/messages", 200, "{\"message_id\":\"m-3\",\"reply\":null}");

        Cli.Result r = Cli.against(api, "message", "send", "--to", "quiet", "--performative", "inform",
                "--content", "\"hello\"", "--wait", "1s");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("no reply to message m-3\n");
        assertThat(api.only().json().get("content").asText()).isEqualTo("hello");
    }

    @Test
    void aCapabilityCanBeBroadcast() {
        api.on("POST", "/api/v1/messages", 202, "{\"message_id\":\"m-4\",\"accepted\":true}");

        Cli.Result r = Cli.against(api, "message", "send", "--capability", "weather", "--broadcast",
                "--performative", "cfp", "--content", "[1,2]");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode body = api.only().json();
        assertThat(body.get("capability").asText()).isEqualTo("weather");
        assertThat(body.get("broadcast").asBoolean()).isTrue();
        assertThat(body.has("receiver")).isFalse();
        assertThat(body.get("content").toString()).isEqualTo("[1,2]");
    }

    @Test
    void jsonOutputIsTheServersAnswer() throws Exception {
        String answer = "{\"message_id\":\"m-5\",\"reply\":{\"performative\":\"agree\",\"sender\":\"a\"}}";
        api.on("POST", "/api/v1/messages", 200, answer);

        Cli.Result r = Cli.against(api, "message", "send", "--to", "a", "--performative", "request",
                "--content", "{}", "--wait", "2s", "--output", "json");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Json.mapper().readTree(r.out())).isEqualTo(Json.mapper().readTree(answer));
    }

    @Test
    void wrongCombinationsAndValuesAreUsageErrorsNamingTheOption() {
        Cli.Result both = Cli.against(api, "message", "send", "--to", "a", "--capability", "c",
                "--performative", "inform", "--content", "{}");
        Cli.Result neither = Cli.against(api, "message", "send", "--performative", "inform", "--content", "{}");
        Cli.Result broadcastTo = Cli.against(api, "message", "send", "--to", "a", "--broadcast",
                "--performative", "inform", "--content", "{}");
        Cli.Result performative = Cli.against(api, "message", "send", "--to", "a", "--performative", "shout",
                "--content", "{}");
        Cli.Result content = Cli.against(api, "message", "send", "--to", "a", "--performative", "inform",
                "--content", "hello");
        Cli.Result priority = Cli.against(api, "message", "send", "--to", "a", "--performative", "inform",
                "--content", "{}", "--priority", "urgent");
        Cli.Result waitBad = Cli.against(api, "message", "send", "--to", "a", "--performative", "inform",
                "--content", "{}", "--wait", "forever");

        for (Cli.Result r : new Cli.Result[] {both, neither, broadcastTo, performative, content, priority, waitBad}) {
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.errLines()).hasSize(1);
            assertThat(r.errLines().getFirst()).startsWith("caxton: ");
        }
        assertThat(both.err()).contains("--to").contains("--capability");
        assertThat(neither.err()).contains("--to").contains("--capability");
        assertThat(broadcastTo.err()).contains("--broadcast");
        assertThat(performative.err()).contains("--performative").contains("shout").contains("query-ref");
        assertThat(content.err()).contains("--content").contains("not valid JSON");
        assertThat(priority.err()).contains("--priority").contains("urgent");
        assertThat(waitBad.err()).contains("--wait").contains("forever");
        assertThat(api.requests()).isEmpty();
    }
}
