package dev.caxton.server;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.AgentInfo;
import dev.caxton.runtime.metrics.DeadLetterReason;
import dev.caxton.runtime.metrics.Exposition;
import dev.caxton.runtime.metrics.JvmMetrics;
import dev.caxton.runtime.metrics.NodeMetrics;
import dev.caxton.spi.membership.MembershipStatistics;
import dev.caxton.spi.message.Priority;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Renders the node's metrics in the Prometheus text format 0.0.4 or OpenMetrics 1.0.0 (see
 * {@link Exposition}): the node's counters, its latency histograms, the per-agent series (at most
 * {@code observability.metrics_max_agent_series} agents; the rest summed under
 * {@code agent="_other"}) and the JVM's own.
 *
 * <p>The exposition is written by the runtime's small metrics core rather than a metrics library:
 * the libraries on offer (client_java 1.x, Micrometer) are automatic modules, which the server,
 * living in the image's boot layer, cannot require without giving them descriptors at build time,
 * and they would be the image's largest dependency for a format of a few lines.
 */
final class Metrics {

    /** The label value agents past the series cap are summed under. */
    static final String OTHER_AGENTS = "_other";

    private Metrics() {
    }

    private static final Map<String, String> FIPA_HELP = Map.of(
            "received", "Messages other FIPA platforms sent over the HTTP MTP and this node took.",
            "sent", "Messages posted to other FIPA platforms that they acknowledged.",
            "send_failures", "Messages for other FIPA platforms that no address of theirs took.",
            "unknown_receivers", "Incoming FIPA messages for an agent that does not exist (answered with a failure).",
            "refused_malformed", "MTP requests refused because the body, envelope or ACL message was malformed.",
            "refused_too_large", "MTP requests refused for exceeding fipa.http_mtp.max_body_size.",
            "refused_sender", "MTP requests refused for their sender (missing, not name@platform, or claiming this platform).",
            "refused_platform", "MTP requests from platforms outside fipa.http_mtp.allowed_platforms.",
            "refused_busy", "Messages for other platforms refused because fipa.http_mtp.max_in_flight were on their way.");

    static String render(CaxtonNode node, int apiWaiting, Exposition.Format format, int maxAgentSeries) {
        return render(node, apiWaiting, format, maxAgentSeries, Map.of());
    }

    /** As above, with the FIPA MTP's counters (empty when it is off) as caxton_fipa_*_total. */
    static String render(CaxtonNode node, int apiWaiting, Exposition.Format format, int maxAgentSeries,
                         Map<String, Long> fipa) {
        return render(node, apiWaiting, format, maxAgentSeries, fipa, null);
    }

    /** As above, with the expiry of the API's certificate in use (null when TLS is off). */
    static String render(CaxtonNode node, int apiWaiting, Exposition.Format format, int maxAgentSeries,
                         Map<String, Long> fipa, java.time.Instant tlsNotAfter) {
        return render(node, apiWaiting, format, maxAgentSeries, fipa, tlsNotAfter, null);
    }

    /** As above, with the expiry of the FIPA MTP's certificate in use (null when the MTP has no TLS). */
    static String render(CaxtonNode node, int apiWaiting, Exposition.Format format, int maxAgentSeries,
                         Map<String, Long> fipa, java.time.Instant tlsNotAfter, java.time.Instant mtpTlsNotAfter) {
        Exposition x = new Exposition(format);
        if (tlsNotAfter != null) {
            // A gauge of the expiry rather than of days left, so an alert compares it with time().
            x.gauge("caxton_api_tls_certificate_expiry_seconds",
                    "When the API's certificate in use expires, in seconds since the Unix epoch.", tlsNotAfter.getEpochSecond());
        }
        if (mtpTlsNotAfter != null) {
            x.gauge("caxton_fipa_mtp_tls_certificate_expiry_seconds",
                    "When the FIPA HTTP MTP's certificate in use expires, in seconds since the Unix epoch.",
                    mtpTlsNotAfter.getEpochSecond());
        }
        for (Map.Entry<String, Long> f : fipa.entrySet()) {
            x.counter("caxton_fipa_" + f.getKey() + "_total", FIPA_HELP.getOrDefault(f.getKey(), "FIPA MTP counter."),
                    f.getValue());
        }
        Map<String, Long> c = node.counters();
        NodeMetrics m = node.metrics();
        counter(x, c, "caxton_messages_routed_total", "Messages accepted by the router.", "messages_routed");
        counter(x, c, "caxton_messages_refused_total", "Messages refused (unknown receiver, full mailbox, malformed).",
                "messages_refused");
        counter(x, c, "caxton_messages_dead_lettered_total", "Messages that went to the dead-letter queue.",
                "messages_dead_lettered");
        counter(x, c, "caxton_messages_retried_total", "Deliveries retried because the receiver's mailbox was full.",
                "messages_retried");
        gauge(x, c, "caxton_messages_queued", "Messages queued on the node (all mailboxes and pending retries).",
                "messages_queued");
        counter(x, c, "caxton_agent_faults_total", "Agent invocations that ended in a fault.", "agent_faults");
        counter(x, c, "caxton_instance_pool_hits_total", "Deploys and restarts that took a pre-made instance from the pool.",
                "instance_pool_hits");
        counter(x, c, "caxton_instance_pool_misses_total", "Deploys and restarts of poolable modules that found no pre-made instance.",
                "instance_pool_misses");
        gauge(x, c, "caxton_instance_pool_idle", "Pre-made instances waiting in the pool, over all modules.",
                "instance_pool_idle");
        gauge(x, c, "caxton_instance_pool_idle_bytes", "Bytes of runtime.memory_budget booked by idle pre-made instances.",
                "instance_pool_idle_bytes");
        counter(x, c, "caxton_instance_pool_evictions_total", "Idle pre-made instances closed to make room in runtime.memory_budget for a deploy.",
                "instance_pool_evicted");
        counter(x, c, "caxton_client_replies_unclaimed_total", "Replies addressed to API clients that had stopped waiting.",
                "client_replies_unclaimed");
        counter(x, c, "caxton_messages_hop_limited_total", "Messages dead-lettered for exceeding messaging.max_hops.",
                "messages_hop_limited");
        counter(x, c, "caxton_messages_inline_total",
                "Synchronous requests an idle agent ran on the waiting caller's thread instead of its own.",
                "messages_inline");
        counter(x, c, "caxton_conversation_messages_omitted_total",
                "Messages delivered but not journalled: their conversation had messaging.conversation_max_messages.",
                "conversation_messages_omitted");
        counter(x, c, "caxton_cluster_frames_rejected_total", "Malformed frames from other nodes, dropped.",
                "cluster_frames_rejected");
        gauge(x, c, "caxton_cluster_nodes_alive", "Cluster members this node sees alive, itself included.",
                "cluster_nodes_alive");
        gauge(x, c, "caxton_cluster_partitioned",
                "1 while fewer members than coordination.partition.quorum_size are alive, else 0.", "cluster_partitioned");
        if (c.containsKey("messages_persisted")) {
            // Only with messaging.enable_persistence: absent series say "off", zeros would say "idle".
            counter(x, c, "caxton_messages_persisted_total", "Messages written to the outbox when accepted.",
                    "messages_persisted");
            counter(x, c, "caxton_messages_duplicate_total",
                    "Messages accepted and dropped because the same id was pending or handled within messaging.dedup_window.",
                    "messages_duplicate");
            gauge(x, c, "caxton_messages_recovered", "Messages delivered again from the outbox at the last start.",
                    "messages_recovered");
            counter(x, c, "caxton_storage_transactions_total", "Storage transactions committed by the group commit.",
                    "storage_transactions");
            counter(x, c, "caxton_storage_write_failures_total", "Batches of writes storage refused.",
                    "storage_write_failures");
            gauge(x, c, "caxton_cluster_outbox_waiting", "Messages for other nodes kept until those nodes confirm them.",
                    "cluster_outbox_waiting");
            counter(x, c, "caxton_cluster_outbox_resent_total", "Messages for other nodes sent again.",
                    "cluster_outbox_resent");
            counter(x, c, "caxton_cluster_outbox_confirmed_total", "Messages other nodes confirmed as stored.",
                    "cluster_outbox_confirmed");
        }
        gauge(x, c, "caxton_clients_waiting", "API requests waiting for a reply.", "clients_waiting");
        x.gauge("caxton_api_waiting_requests", "API requests (wait_ms) holding a place under server.max_waiting_requests.",
                apiWaiting);
        long deadLetterCount = node.deadLetterCount();
        if (format == Exposition.Format.TEXT) {
            // The old name of caxton_dead_letters_stored. OpenMetrics cannot carry it: there it would be
            // the same family name as the counter caxton_dead_letters_total.
            x.gauge("caxton_dead_letters", "Messages in the dead-letter queue (old name of caxton_dead_letters_stored).",
                    deadLetterCount);
        }
        x.gauge("caxton_dead_letters_stored", "Messages in the dead-letter queue.", deadLetterCount);

        // The upstream names.
        x.histogram("caxton_routing_latency_seconds", "Time to route one message, validation to hand-off.",
                m.routing().snapshot());
        x.histogram("caxton_remote_routing_latency_seconds",
                "Time to hand a message to another node (to its acceptance, when the sender waits for it).",
                m.remoteRouting().snapshot());
        x.histogram("caxton_agent_startup_time_seconds", "Time from a deploy request to the agent being ready.",
                m.agentStartup().snapshot());
        x.histogram("caxton_message_processing_time_seconds",
                "Time an agent took to handle one message, its reply routed.", m.processing().snapshot());
        x.counter("caxton_messages_processed_total", "Messages agents handled (or faulted on).", m.processedTotal());
        x.gauge("caxton_messages_per_second", "Messages processed per second over the last "
                + NodeMetrics.RATE_WINDOW_SECONDS + " seconds.", m.messagesPerSecond());
        x.family("caxton_errors_total", "counter", "Errors by kind: agent faults, refused messages, storage write "
                + "failures, malformed cluster frames.");
        x.sample("caxton_errors_total", orZero(c, "agent_faults"), "kind", "fault");
        x.sample("caxton_errors_total", orZero(c, "messages_refused"), "kind", "refused");
        x.sample("caxton_errors_total", orZero(c, "storage_write_failures"), "kind", "storage");
        x.sample("caxton_errors_total", orZero(c, "cluster_frames_rejected"), "kind", "cluster_frame");
        x.family("caxton_dead_letters_total", "counter", "Messages dead-lettered, by category of reason.");
        for (DeadLetterReason r : DeadLetterReason.values()) {
            x.sample("caxton_dead_letters_total", m.deadLetters(r), "reason", r.label());
        }
        membership(x, node, m);
        traceExport(x, node);
        long[] depth = node.queueDepthByPriority();
        x.family("caxton_queue_depth", "gauge", "Messages waiting in agents' mailboxes, by priority class.");
        for (Priority p : Priority.values()) {
            x.sample("caxton_queue_depth", depth[p.ordinal()], "priority", p.wireName());
        }
        dev.caxton.runtime.agent.AgentScheduler sched = node.scheduler();
        x.gauge("caxton_scheduler_workers", "Worker threads of the agent pool, compensating ones included (0 outside pool mode).",
                sched.liveWorkers());
        x.gauge("caxton_scheduler_workers_busy", "Pool workers running an agent's turn now.", sched.busyWorkers());
        x.gauge("caxton_scheduler_runnable_agents", "Agents with work waiting for a pool worker.", sched.runnableAgents());

        List<AgentInfo> agents = node.agents();
        x.gauge("caxton_agents", "Agents deployed on this node.", agents.size());
        x.gauge("caxton_agents_active", "Agents running on this node.",
                agents.stream().filter(a -> a.state().label().equals("running")).count());
        perAgent(x, agents, maxAgentSeries, "caxton_agent_messages_handled_total", "counter",
                "Messages an agent processed.", AgentInfo::messagesHandled, false);
        perAgent(x, agents, maxAgentSeries, "caxton_agent_faults_by_agent_total", "counter", "Faults per agent.",
                AgentInfo::faults, false);
        perAgent(x, agents, maxAgentSeries, "caxton_agent_mailbox_depth", "gauge", "Messages waiting in an agent's mailbox.",
                AgentInfo::queued, false);
        perAgent(x, agents.stream().filter(a -> a.fuelMax() >= 0).toList(), maxAgentSeries, "caxton_agent_fuel_max",
                "gauge", "The most fuel (instructions) one message used, for agents with a fuel limit, since deploy or "
                        + "reload (for _other: the most of any of them).", AgentInfo::fuelMax, true);
        perAgent(x, agents, maxAgentSeries, "caxton_agent_up", "gauge", "1 when the agent is running (for _other: how many are).",
                a -> a.state().label().equals("running") ? 1 : 0, false);
        List<CaxtonNode.AgentUsage> usage = node.agentUsage();
        perAgent(x, usage, CaxtonNode.AgentUsage::name, maxAgentSeries, "caxton_agent_memory_bytes", "gauge",
                "Size of the agent's linear memory after its last message.", CaxtonNode.AgentUsage::memoryBytes, false);
        perAgent(x, usage, CaxtonNode.AgentUsage::name, maxAgentSeries, "caxton_agent_fuel_used", "gauge",
                "Fuel (instructions) the agent's messages used since deploy; 0 without a fuel limit. Grows like a "
                        + "counter but restarts at a redeploy.", CaxtonNode.AgentUsage::fuelUsed, false);
        JvmMetrics.write(x);
        return x.finish();
    }

    private static void perAgent(Exposition x, List<AgentInfo> agents, int cap, String name, String type, String help,
                                 ToLongFunction<AgentInfo> value, boolean max) {
        perAgent(x, agents, AgentInfo::name, cap, name, type, help, value, max);
    }

    /**
     * One per-agent family: the first {@code cap} agents (in the list's order, by name) get a
     * series each, the rest one series under {@link #OTHER_AGENTS}, summed or, for maxima, the
     * largest. Series count is bounded by {@code cap + 1} however many agents are deployed.
     */
    private static <T> void perAgent(Exposition x, List<T> items, java.util.function.Function<T, String> nameOf, int cap,
                                     String name, String type, String help, ToLongFunction<T> value, boolean max) {
        x.family(name, type, help);
        long other = 0;
        boolean anyOther = false;
        List<T> own = new ArrayList<>(Math.min(items.size(), cap));
        for (T a : items) {
            String n = nameOf.apply(a);
            if (own.size() < cap && !n.equals(OTHER_AGENTS)) {
                own.add(a);
                x.sample(name, value.applyAsLong(a), "agent", n);
            } else {
                long v = value.applyAsLong(a);
                other = anyOther ? (max ? Math.max(other, v) : other + v) : v;
                anyOther = true;
            }
        }
        if (anyOther) {
            x.sample(name, other, "agent", OTHER_AGENTS);
        }
    }

    /**
     * The membership provider's own figures, each family only when the provider reports it: absent
     * says "not measured", where zeros would say "nothing happened".
     */
    private static void membership(Exposition x, CaxtonNode node, NodeMetrics m) {
        MembershipStatistics stats = node.membershipStatistics();
        if (!stats.packetsDropped().isEmpty()) {
            x.family("caxton_membership_packets_dropped_total", "counter",
                    "Membership packets refused, by reason (malformed, too_large, unauthenticated, non_member, flood...).");
            new TreeMap<>(stats.packetsDropped()).forEach((reason, n) ->
                    x.sample("caxton_membership_packets_dropped_total", (long) n, "reason", reason));
        }
        if (!stats.events().isEmpty()) {
            x.family("caxton_membership_events_total", "counter",
                    "Membership protocol events, by kind (probe, indirect_probe, suspicion, refutation).");
            new TreeMap<>(stats.events()).forEach((kind, n) ->
                    x.sample("caxton_membership_events_total", (long) n, "kind", kind));
        }
        if (node.membershipReportsConvergence()) {
            x.histogram("caxton_gossip_convergence_time_seconds",
                    "Time from a membership change on the node that made it to this node applying it "
                            + "(wall clocks of two nodes: meaningful when they are synchronised).",
                    m.gossipConvergence().snapshot());
        }
    }

    /** The span exporter's figures, only when one is configured (observability.tracing.exporter). */
    private static void traceExport(Exposition x, CaxtonNode node) {
        node.traceExport().ifPresent(t -> {
            x.family("caxton_trace_spans_exported_total", "counter", "Trace spans the exporter delivered to its collector.");
            x.sample("caxton_trace_spans_exported_total", t.exported(), "exporter", t.exporterName());
            x.family("caxton_trace_export_dropped_total", "counter",
                    "Trace hops not exported, by reason (queue_full: the exporter fell behind; export_failed: the collector refused or did not answer).");
            for (dev.caxton.runtime.trace.SpanExport.DropReason r : dev.caxton.runtime.trace.SpanExport.DropReason.values()) {
                x.sample("caxton_trace_export_dropped_total", t.dropped(r), "exporter", t.exporterName(), "reason", r.label());
            }
        });
    }

    private static long orZero(Map<String, Long> c, String key) {
        Long v = c.get(key);
        return v == null ? 0 : v;
    }

    // A key the node stopped reporting drops its series instead of failing the whole scrape.
    private static void counter(Exposition x, Map<String, Long> c, String name, String help, String key) {
        Long v = c.get(key);
        if (v != null) {
            x.counter(name, help, v);
        }
    }

    private static void gauge(Exposition x, Map<String, Long> c, String name, String help, String key) {
        Long v = c.get(key);
        if (v != null) {
            x.gauge(name, help, v);
        }
    }
}
