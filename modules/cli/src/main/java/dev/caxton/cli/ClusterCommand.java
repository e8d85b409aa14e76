package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code caxton cluster}: the nodes a running node sees. */
@Command(name = "cluster",
        description = "The cluster as a running node sees it.",
        subcommands = ClusterCommand.Members.class)
final class ClusterCommand {

    /** {@code caxton cluster members}. */
    @Command(name = "members", description = "Lists the cluster's members with their state and metadata.")
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
            TextTable table = new TextTable("ID", "ADDRESS", "STATE", "METADATA");
            for (JsonNode m : members) {
                table.row(Json.text(m.path("id")), Json.text(m.path("address")), Json.text(m.path("state")),
                        metadata(m.path("metadata")));
            }
            table.print(out);
            return 0;
        }

        private static String metadata(JsonNode node) {
            if (!node.isObject() || node.isEmpty()) {
                return "-";
            }
            List<String> pairs = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                pairs.add(e.getKey() + "=" + Json.text(e.getValue()));
            }
            return String.join(",", pairs);
        }
    }
}
