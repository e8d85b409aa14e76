package dev.caxton.tests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Contract-Net example on the built image: the cheapest seller wins and the trace shows every step. */
class ContractNetTest {

    @Test
    @DisplayName("buyer broadcasts a cfp, three sellers propose, the cheapest is accepted, the rest rejected")
    void contractNet(@TempDir Path dir) throws Exception {
        try (Image.Server s = new Image.Server(dir, "")) {
            for (String seller : List.of("seller-a", "seller-b", "seller-c")) {
                Image.Result r = s.cli("agent", "deploy", Image.example("contract-net/" + seller + ".wasm").toString(),
                        "--name", seller);
                assertThat(r.exit()).as(r.err()).isZero();
            }
            assertThat(s.cli("agent", "deploy", Image.example("contract-net/buyer.wasm").toString(), "--name", "buyer")
                    .exit()).isZero();
            Image.Result start = s.cli("message", "send", "--to", "buyer", "--performative", "request",
                    "--content", "{\"item\":\"widget\",\"sellers\":3}", "--wait", "10s", "--output", "json");
            assertThat(start.exit()).as(start.err()).isZero();
            String conversation = start.json().at("/reply/content/conversation_id").asText();
            assertThat(conversation).startsWith("cn-");

            JsonNode trace = null;
            long deadline = System.currentTimeMillis() + 20_000;
            while (System.currentTimeMillis() < deadline) {
                Image.Result t = s.cli("message", "trace", conversation, "--output", "json");
                if (t.exit() == 0 && t.json().get("message_count").asInt() >= 10) {
                    trace = t.json();
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(trace).as("a trace of 10 messages").isNotNull();
            List<String> steps = new ArrayList<>();
            trace.get("messages").forEach(m -> steps.add(m.get("performative").asText() + " " + m.get("sender").asText()
                    + "->" + m.get("receiver").asText()));
            // The trace is in delivery order. The broadcast's copies are delivered one after the
            // other, so a fast seller's proposal may be recorded before the last copy of the cfp:
            // what holds is causality. Each proposal follows its own cfp, and the buyer decides
            // only once all three proposals are in.
            assertThat(steps.subList(0, 6)).containsExactlyInAnyOrder("cfp buyer->seller-a", "cfp buyer->seller-b",
                    "cfp buyer->seller-c", "propose seller-a->buyer", "propose seller-b->buyer",
                    "propose seller-c->buyer");
            for (String seller : List.of("seller-a", "seller-b", "seller-c")) {
                assertThat(steps.indexOf("propose " + seller + "->buyer"))
                        .as("%s proposes after its cfp", seller).isGreaterThan(steps.indexOf("cfp buyer->" + seller));
            }
            assertThat(steps.subList(6, 10)).contains("accept-proposal buyer->seller-b", "reject-proposal buyer->seller-a",
                    "reject-proposal buyer->seller-c", "inform seller-b->buyer");
            assertThat(steps.indexOf("inform seller-b->buyer")).isGreaterThan(steps.indexOf("accept-proposal buyer->seller-b"));
            JsonNode accept = null;
            for (JsonNode m : trace.get("messages")) {
                if (m.get("performative").asText().equals("accept-proposal")) {
                    accept = m;
                }
            }
            assertThat(accept.at("/envelope/content/price").asInt()).isEqualTo(95);
            assertThat(trace.get("participants")).hasSize(4);
            Image.Result text = s.cli("message", "trace", conversation);
            assertThat(text.out()).contains("accept-proposal").contains("seller-b");
            assertThat(s.log()).contains("winner seller-b at 95").contains("contract closed with seller-b");
        }
    }

    @Test
    @DisplayName("the example's agents are built on the C SDK: its build script makes them from the sources and caxton.h alone")
    void builtOnTheCSdk(@TempDir Path dir) throws Exception {
        for (String agent : List.of("buyer", "seller-a", "seller-b", "seller-c")) {
            Image.Result check = Image.run("agent", "check", Image.example("contract-net/" + agent + ".wasm").toString());
            assertThat(check.exit()).as(check.out() + check.err()).isZero();
            assertThat(check.out()).as("%s declares the SDK's ABI", agent).contains("ok (ABI v2");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(Image.onPath("clang") && Image.onPath("wasm-ld") && Image.onPath("wasm-validate"),
                "clang, lld and wabt are not installed (apt-get install -y clang lld wabt; .ci/run does it);"
                        + " the example's build is not checked");
        // The same layout as the repository and the distribution, with nothing but the sources,
        // the build script and the SDK header: no helper file of the example's own.
        Path example = java.nio.file.Files.createDirectories(dir.resolve("examples/contract-net"));
        Path sdk = java.nio.file.Files.createDirectories(dir.resolve("sdk/c"));
        for (String f : List.of("build.sh", "buyer.c", "seller.c")) {
            java.nio.file.Files.copy(Image.example("contract-net/" + f), example.resolve(f));
        }
        java.nio.file.Files.copy(Image.ROOT.resolve("sdk/c/caxton.h"), sdk.resolve("caxton.h"));
        Process p = new ProcessBuilder("sh", example.resolve("build.sh").toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(output).isZero();
        for (String agent : List.of("buyer", "seller-a", "seller-b", "seller-c")) {
            assertThat(example.resolve(agent + ".wasm")).as("%s.wasm as shipped is what its sources build to", agent)
                    .hasSameBinaryContentAs(Image.example("contract-net/" + agent + ".wasm"));
        }
    }
}
