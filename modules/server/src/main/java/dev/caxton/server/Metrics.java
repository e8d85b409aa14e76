package dev.caxton.server;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.agent.AgentInfo;

import java.util.Map;

/**
 * Renders the node's counters in the Prometheus text exposition format (version 0.0.4). Written
 * by hand because the format is a few lines and a metrics library would be the image's largest
 * dependency.
 */
final class Metrics {

    private Metrics() {
    }

    static String render(CaxtonNode node, int apiWaiting) {
        StringBuilder b = new StringBuilder(4096);
        Map<String, Long> c = node.counters();
        counter(b, "caxton_messages_routed_total", "Messages accepted by the router.", c.get("messages_routed"));
        counter(b, "caxton_messages_refused_total", "Messages refused (unknown receiver, full mailbox, malformed).",
                c.get("messages_refused"));
        counter(b, "caxton_messages_dead_lettered_total", "Messages that went to the dead-letter queue.",
                c.get("messages_dead_lettered"));
        counter(b, "caxton_messages_retried_total", "Deliveries retried because the receiver's mailbox was full.",
                c.get("messages_retried"));
        gauge(b, "caxton_messages_queued", "Messages queued on the node (all mailboxes and pending retries).",
                c.get("messages_queued"));
        counter(b, "caxton_agent_faults_total", "Agent invocations that ended in a fault.", c.get("agent_faults"));
        counter(b, "caxton_client_replies_unclaimed_total", "Replies addressed to API clients that had stopped waiting.",
                c.get("client_replies_unclaimed"));
        counter(b, "caxton_messages_hop_limited_total", "Messages dead-lettered for exceeding messaging.max_hops.",
                c.get("messages_hop_limited"));
        counter(b, "caxton_conversation_messages_omitted_total",
                "Messages delivered but not journalled: their conversation had messaging.conversation_max_messages.",
                c.get("conversation_messages_omitted"));
        counter(b, "caxton_cluster_frames_rejected_total", "Malformed frames from other nodes, dropped.",
                c.get("cluster_frames_rejected"));
        gauge(b, "caxton_cluster_nodes_alive", "Cluster members this node sees alive, itself included.",
                c.get("cluster_nodes_alive"));
        gauge(b, "caxton_cluster_partitioned",
                "1 while fewer members than coordination.partition.quorum_size are alive, else 0.",
                c.get("cluster_partitioned"));
        if (c.containsKey("messages_persisted")) {
            // Only with messaging.enable_persistence: absent series say "off", zeros would say "idle".
            counter(b, "caxton_messages_persisted_total", "Messages written to the outbox when accepted.",
                    c.get("messages_persisted"));
            counter(b, "caxton_messages_duplicate_total",
                    "Messages accepted and dropped because the same id was pending or handled within messaging.dedup_window.",
                    c.get("messages_duplicate"));
            gauge(b, "caxton_messages_recovered", "Messages delivered again from the outbox at the last start.",
                    c.get("messages_recovered"));
            counter(b, "caxton_storage_transactions_total", "Storage transactions committed by the group commit.",
                    c.get("storage_transactions"));
            counter(b, "caxton_storage_write_failures_total", "Batches of writes storage refused.",
                    c.get("storage_write_failures"));
            gauge(b, "caxton_cluster_outbox_waiting", "Messages for other nodes kept until those nodes confirm them.",
                    c.get("cluster_outbox_waiting"));
            counter(b, "caxton_cluster_outbox_resent_total", "Messages for other nodes sent again.",
                    c.get("cluster_outbox_resent"));
            counter(b, "caxton_cluster_outbox_confirmed_total", "Messages other nodes confirmed as stored.",
                    c.get("cluster_outbox_confirmed"));
        }
        gauge(b, "caxton_clients_waiting", "API requests waiting for a reply.", c.get("clients_waiting"));
        gauge(b, "caxton_api_waiting_requests", "API requests (wait_ms) holding a place under server.max_waiting_requests.",
                apiWaiting);
        gauge(b, "caxton_dead_letters", "Messages in the dead-letter queue.", node.deadLetterCount());
        var agents = node.agents();
        gauge(b, "caxton_agents", "Agents deployed on this node.", agents.size());
        header(b, "caxton_agent_messages_handled_total", "counter", "Messages an agent processed.");
        for (AgentInfo a : agents) {
            sample(b, "caxton_agent_messages_handled_total", a, a.messagesHandled());
        }
        header(b, "caxton_agent_faults_by_agent_total", "counter", "Faults per agent.");
        for (AgentInfo a : agents) {
            sample(b, "caxton_agent_faults_by_agent_total", a, a.faults());
        }
        header(b, "caxton_agent_mailbox_depth", "gauge", "Messages waiting in an agent's mailbox.");
        for (AgentInfo a : agents) {
            sample(b, "caxton_agent_mailbox_depth", a, a.queued());
        }
        header(b, "caxton_agent_fuel_max", "gauge",
                "The most fuel (instructions) one message used, for agents with a fuel limit, since deploy or reload.");
        for (AgentInfo a : agents) {
            if (a.fuelMax() >= 0) {
                sample(b, "caxton_agent_fuel_max", a, a.fuelMax());
            }
        }
        header(b, "caxton_agent_up", "gauge", "1 when the agent is running.");
        for (AgentInfo a : agents) {
            sample(b, "caxton_agent_up", a, a.state().label().equals("running") ? 1 : 0);
        }
        return b.toString();
    }

    private static void header(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void counter(StringBuilder b, String name, String help, long v) {
        header(b, name, "counter", help);
        b.append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder b, String name, String help, long v) {
        header(b, name, "gauge", help);
        b.append(name).append(' ').append(v).append('\n');
    }

    private static void sample(StringBuilder b, String name, AgentInfo a, long v) {
        b.append(name).append("{agent=\"").append(a.name().replace("\\", "\\\\").replace("\"", "\\\""))
                .append("\"} ").append(v).append('\n');
    }
}
