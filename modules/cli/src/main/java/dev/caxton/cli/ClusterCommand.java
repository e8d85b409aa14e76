package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code caxton cluster}: the nodes a running node sees. */
@Command(name = "cluster",
        description = "The cluster as a running node sees it.")
final class ClusterCommand {

    /** {@code caxton cluster members}. */
    @Command(name = "members", description = "Lists the cluster's nodes: name, state, incarnation, transport and "
            + "API addresses, agent count and when each was last heard.")
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
            TextTable table = new TextTable("NAME", "STATE", "INCARNATION", "ADDRESS", "API", "AGENTS", "LAST HEARD");
            for (JsonNode m : members) {
                // Servers before the name field answered only id.
                JsonNode name = m.hasNonNull("name") ? m.path("name") : m.path("id");
                table.row(Json.text(name), Json.text(m.path("state")), Json.text(m.path("incarnation")),
                        Json.text(m.path("address")),
                        Json.text(m.path("api")), Json.text(m.path("agents")), lastHeard(m));
            }
            table.print(out);
            JsonNode partition = answer.path("partition");
            if (partition.path("partitioned").asBoolean(false)) {
                out.println("partition suspected: " + Json.text(partition.path("alive")) + " alive, fewer than the quorum of "
                        + Json.text(partition.path("quorum")) + " (coordination.partition.quorum_size)");
            }
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

    /**
     * {@code caxton cluster leave}: the node leaves the cluster gracefully (the others report it
     * {@code left}) and keeps serving its own agents alone until it is stopped.
     */
    @Command(name = "leave", description = "Makes the node leave the cluster gracefully: the others see it as "
            + "left, not dead, and drop its agents; the node keeps running alone until stopped.")
    static final class Leave extends ClientCommand {

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode answer = api.post("/cluster/leave", Json.mapper().createObjectNode(), java.time.Duration.ofSeconds(60));
            if (json()) {
                Json.print(out, answer);
                return 0;
            }
            String node = Json.text(answer.path("node"));
            out.println(answer.path("left").asBoolean(false)
                    ? "node " + node + " left the cluster"
                    : "node " + node + " had already left the cluster");
            return 0;
        }
    }
}
