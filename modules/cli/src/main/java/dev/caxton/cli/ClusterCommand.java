package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code caxton cluster}: the nodes a running node sees. */
@Command(name = "cluster",
        description = "The cluster as a running node sees it.",
        subcommands = ClusterCommand.Members.class)
final class ClusterCommand {

    /** {@code caxton cluster members}. */
    @Command(name = "members", description = "Lists the cluster's nodes: name, state, transport and API "
            + "addresses, agent count and when each was last heard.")
    static final class Members extends ClientCommand {

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode answer = api.get("/cluster/members");
            if (json()) {
                Json.print(out, answer);
                return 0;
            }
            JsonNode members = answer.path("members");
            if (!members.isArray()) {
                throw new CliException("the server's answer has no \"members\" array: " + Json.compact(answer));
            }
            TextTable table = new TextTable("NAME", "STATE", "ADDRESS", "API", "AGENTS", "LAST HEARD");
            for (JsonNode m : members) {
                // Servers before the name field answered only id.
                JsonNode name = m.hasNonNull("name") ? m.path("name") : m.path("id");
                table.row(Json.text(name), Json.text(m.path("state")), Json.text(m.path("address")),
                        Json.text(m.path("api")), Json.text(m.path("agents")), lastHeard(m));
            }
            table.print(out);
            return 0;
        }

        private static String lastHeard(JsonNode m) {
            if (m.path("self").asBoolean(false)) {
                return "(this node)";
            }
            JsonNode ago = m.path("last_heard_ms_ago");
            if (!ago.isIntegralNumber()) {
                return "never";
            }
            long ms = ago.asLong();
            return ms < 10_000 ? ms + "ms ago" : ms / 1000 + "s ago";
        }
    }
}
