package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;

/** {@code caxton dead-letters}: the messages a node could not deliver or that faulted an agent. */
@Command(name = "dead-letters",
        description = "Messages that could not be delivered or that faulted their agent.")
final class DeadLettersCommand {

    /** {@code caxton dead-letters list}. */
    @Command(name = "list", description = "Lists dead letters, most recent first as the node returns them.")
    static final class ListLetters extends ClientCommand {

        @Option(names = "--limit", paramLabel = "N", description = "At most this many (default: the node's choice).")
        private Integer limit;

        @Override
        void prepare() {
            if (limit != null && limit < 1) {
                throw CliException.usage("--limit: must be 1 or more, got " + limit);
            }
        }

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode answer = api.get("/dead-letters" + (limit == null ? "" : "?limit=" + limit));
            if (json()) {
                Json.print(out, answer);
                return 0;
            }
            JsonNode letters = answer.path("dead_letters");
            if (!letters.isArray()) {
                throw new CliException("the server's answer has no \"dead_letters\" array: " + Json.compact(answer));
            }
            if (letters.isEmpty()) {
                out.println("no dead letters");
                return 0;
            }
            TextTable table = new TextTable("ID", "AT", "RECEIVER", "PERFORMATIVE", "REASON");
            for (JsonNode l : letters) {
                table.row(Json.text(l.path("id")), Json.time(l.path("at")), Json.text(l.path("receiver")),
                        Json.text(l.path("envelope").path("performative")), Json.text(l.path("reason")));
            }
            table.print(out);
            return 0;
        }
    }

    /** {@code caxton dead-letters replay ID}. */
    @Command(name = "replay", description = "Sends a dead letter again as it was; it leaves the queue once the node accepts it.")
    static final class Replay extends ClientCommand {

        @Parameters(index = "0", paramLabel = "ID", description = "The dead letter's id (see dead-letters list).")
        private String id;

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode answer = api.post("/dead-letters/" + segment(id) + "/replay",
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), ApiClient.REQUEST_TIMEOUT);
            if (json()) {
                Json.print(out, answer);
            } else {
                out.println("replayed " + id + " as message " + Json.text(answer.path("message_id")));
            }
            return 0;
        }
    }
}
