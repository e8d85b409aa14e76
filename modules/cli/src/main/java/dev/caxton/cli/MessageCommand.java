package dev.caxton.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;

/** {@code caxton message}: send a FIPA-ACL message into a running node. */
@Command(name = "message",
        description = "Send messages to agents.")
final class MessageCommand {

    /** The 22 FIPA ACL performatives, as the guest ABI spells them. */
    static final List<String> PERFORMATIVES = List.of("accept-proposal", "agree", "cancel", "cfp", "confirm",
            "disconfirm", "failure", "inform", "inform-if", "inform-ref", "not-understood", "propagate", "propose",
            "proxy", "query-if", "query-ref", "refuse", "reject-proposal", "request", "request-when",
            "request-whenever", "subscribe");

    /** The message priorities, most urgent first. */
    static final List<String> PRIORITIES = List.of("critical", "high", "normal", "low");

    /** Who receives the message: one agent by name, or the holder(s) of a capability. */
    static final class Target {
        @Option(names = "--to", required = true, paramLabel = "NAME", description = "The receiving agent.")
        private String to;

        @Option(names = "--capability", required = true, paramLabel = "C",
                description = "Address whoever offers this capability (one holder, or all with --broadcast).")
        private String capability;
    }

    /** {@code caxton message send}. */
    @Command(name = "send", sortOptions = false,
            description = "Sends one message; with --wait, waits for the reply and prints it.")
    static final class Send extends ClientCommand {

        @ArgGroup(exclusive = true, multiplicity = "1")
        private Target target;

        @Option(names = "--broadcast", description = "With --capability: every holder gets a copy.")
        private boolean broadcast;

        @Option(names = "--performative", required = true, paramLabel = "P",
                description = "The FIPA performative, e.g. request, inform, query-ref.")
        private String performative;

        @Option(names = "--content", required = true, paramLabel = "JSON",
                description = "The payload, a JSON value (quote strings: '\"hello\"'); @FILE reads it from a file,"
                        + " - from standard input.")
        private String content;

        @Option(names = "--conversation", paramLabel = "ID", description = "The conversation id.")
        private String conversation;

        @Option(names = "--reply-with", paramLabel = "ID", description = "The id a reply should refer to (in_reply_to).")
        private String replyWith;

        @Option(names = "--priority", paramLabel = "P", description = "critical, high, normal (default) or low.")
        private String priority;

        @Option(names = "--wait", paramLabel = "DURATION", converter = Quantity.Time.class,
                description = "Wait this long for the reply, e.g. 5s, and print it.")
        private Duration wait;

        private ObjectNode request;

        /** Most bytes --content @FILE or - reads: beyond any message a node takes (messaging.max_message_size ≤ 64MB). */
        private static final int MAX_CONTENT = 64 << 20;

        /** The JSON text: the option itself, a file's content (@FILE) or standard input (-). */
        static String contentText(String option) {
            if (option.equals("-")) {
                try {
                    byte[] in = System.in.readNBytes(MAX_CONTENT + 1);
                    if (in.length > MAX_CONTENT) {
                        throw CliException.usage("--content -: standard input holds more than " + MAX_CONTENT + " bytes");
                    }
                    return new String(in, java.nio.charset.StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new CliException("--content -: cannot read standard input: " + e.getMessage());
                }
            }
            if (!option.startsWith("@") || option.length() == 1) {
                return option;
            }
            java.nio.file.Path file = java.nio.file.Path.of(option.substring(1));
            try {
                if (java.nio.file.Files.size(file) > MAX_CONTENT) {
                    throw CliException.usage("--content " + option + ": the file is larger than " + MAX_CONTENT + " bytes");
                }
                return java.nio.file.Files.readString(file);
            } catch (java.nio.file.NoSuchFileException e) {
                throw CliException.usage("--content " + option + ": no such file");
            } catch (java.nio.charset.MalformedInputException e) {
                throw CliException.usage("--content " + option + ": not UTF-8 text");
            } catch (java.io.IOException e) {
                throw CliException.usage("--content " + option + ": cannot read: " + e.getMessage());
            }
        }

        @Override
        void prepare() {
            if (!PERFORMATIVES.contains(performative)) {
                throw CliException.usage("--performative: '" + performative + "' is not a FIPA performative; use one of "
                        + String.join(", ", PERFORMATIVES));
            }
            if (broadcast && target.capability == null) {
                throw CliException.usage("--broadcast: only goes with --capability (a message --to one agent has one receiver)");
            }
            if (priority != null && !PRIORITIES.contains(priority)) {
                throw CliException.usage("--priority: '" + priority + "' is not a priority; use one of " + String.join(", ", PRIORITIES));
            }
            if (wait != null && wait.isZero()) {
                throw CliException.usage("--wait: must be longer than zero (leave it out not to wait)");
            }
            JsonNode payload;
            String text = contentText(content);
            try {
                payload = Json.mapper().readTree(text);
            } catch (JsonProcessingException e) {
                throw CliException.usage("--content: not valid JSON (" + e.getOriginalMessage()
                        + "); a string must be quoted, e.g. '\"hello\"'");
            }
            if (payload == null || payload.isMissingNode()) {
                throw CliException.usage("--content: empty; give a JSON value such as '{}' or '\"hello\"'");
            }
            ObjectNode envelope = Json.object().put("performative", performative);
            if (target.to != null) {
                envelope.put("receiver", target.to);
            } else {
                envelope.put("capability", target.capability);
                if (broadcast) {
                    envelope.put("broadcast", true);
                }
            }
            envelope.set("content", payload);
            if (conversation != null) {
                envelope.put("conversation_id", conversation);
            }
            if (replyWith != null) {
                envelope.put("reply_with", replyWith);
            }
            if (priority != null) {
                envelope.put("priority", priority);
            }
            if (wait != null) {
                envelope.put("wait_ms", wait.toMillis());
            }
            request = envelope;
        }

        @Override
        int run(ApiClient api, PrintWriter out) {
            // The server holds the request open for up to the wait; give the exchange time beyond it.
            Duration timeout = wait == null ? ApiClient.REQUEST_TIMEOUT : ApiClient.REQUEST_TIMEOUT.plus(wait);
            JsonNode answer = api.post("/messages", request, timeout);
            String id = Json.text(answer.path("message_id"));
            JsonNode reply = answer.path("reply");
            if (json()) {
                Json.print(out, answer);
            } else if (wait == null) {
                out.println("accepted message " + id);
            } else if (reply.isMissingNode() || reply.isNull()) {
                out.println("no reply to message " + id);
            } else {
                out.println(Json.text(reply.path("performative")) + " from " + Json.text(reply.path("sender")) + ": "
                        + (reply.has("content") ? Json.compact(reply.get("content")) : "-"));
            }
            if (wait != null && reply.path("performative").asText().equals("failure")) {
                // Scripts must be able to tell a failed exchange from an answered one by the exit code.
                throw new CliException("the reply to message " + id + " is a failure: " + failureReason(reply.path("content")));
            }
            return 0;
        }

        private static String failureReason(JsonNode content) {
            if (content.path("reason").isTextual()) {
                return content.get("reason").asText();
            }
            return content.isMissingNode() ? "no reason given" : Json.text(content);
        }
    }

    /** {@code caxton message trace ID|CONVERSATION_ID}. */
    @Command(name = "trace", description = "Shows the recorded hops of a traced message (with where the time went)"
            + " and the messages of a conversation in the order they were delivered.")
    static final class Trace extends ClientCommand {

        /** The largest page the API serves. */
        private static final int PAGE = 1000;

        @Parameters(index = "0", paramLabel = "ID|CONVERSATION_ID",
                description = "A message id, a conversation id or a trace id.")
        private String conversation;

        @Option(names = "--limit", paramLabel = "N",
                description = "Show at most N messages (default: every journalled message, fetched a page at a time).")
        private Integer limit;

        @Option(names = "--cursor", paramLabel = "C",
                description = "Start after this cursor (the next_cursor a previous, limited trace printed).")
        private String cursor;

        @Override
        int run(ApiClient api, PrintWriter out) {
            if (limit != null && limit < 1) {
                throw new CliException("--limit must be at least 1, got " + limit);
            }
            JsonNode hops;
            try {
                hops = api.get("/traces/" + segment(conversation));
            } catch (CliException e) {
                // A node from before tracing has no such route; its conversation journal still answers.
                if (!e.getMessage().startsWith("404 ")) {
                    throw e;
                }
                hops = Json.object().put("id", conversation).set("hops", Json.mapper().createArrayNode());
            }
            boolean traced = hops.path("hops").size() > 0;
            ObjectNode journal;
            try {
                journal = conversation(api);
            } catch (CliException e) {
                // A message id (or trace id) is no conversation: its hops are the whole answer then.
                if (!traced || !e.getMessage().startsWith("404 ")) {
                    throw e;
                }
                journal = null;
            }
            if (json()) {
                ObjectNode result = journal == null ? Json.object().put("id", conversation) : journal;
                result.set("trace", hops);
                Json.print(out, result);
                return 0;
            }
            if (traced) {
                printHops(hops, out);
            }
            if (journal != null) {
                printJournal(journal, out);
            }
            return 0;
        }

        /** The hops, each with the time since the one before; then the longest step, where the time went. */
        private static void printHops(JsonNode t, PrintWriter out) {
            JsonNode hops = t.path("hops");
            out.println("trace of " + Json.text(t.path("id")) + ": " + hops.size() + " hops in "
                    + millis(t.path("total_us").asLong()) + " ms");
            TextTable table = new TextTable("AT", "+MS", "HOP", "NODE", "AGENT", "MESSAGE", "DETAIL");
            JsonNode slowest = null;
            for (JsonNode h : hops) {
                table.row(Json.time(h.path("at")), millis(h.path("since_previous_us").asLong()), Json.text(h.path("hop")),
                        Json.text(h.path("node")), Json.text(h.path("agent")), Json.text(h.path("message_id")),
                        Json.text(h.path("detail")));
                if (slowest == null || h.path("since_previous_us").asLong() > slowest.path("since_previous_us").asLong()) {
                    slowest = h;
                }
            }
            table.print(out);
            if (t.path("nodes").size() > 1) {
                out.println("hops from nodes: " + String.join(", ", Json.strings(t.path("nodes"))));
            }
            if (t.path("incomplete").size() > 0) {
                out.println("nodes that did not answer (their hops are missing): "
                        + String.join(", ", Json.strings(t.path("incomplete"))));
            }
            if (t.path("truncated").asBoolean(false)) {
                out.println("more hops were recorded than one answer holds; the oldest are left out");
            }
            if (slowest != null && hops.size() > 1) {
                out.println("longest step: " + millis(slowest.path("since_previous_us").asLong()) + " ms before "
                        + Json.text(slowest.path("hop")) + (slowest.has("agent") ? " at " + Json.text(slowest.path("agent")) : "")
                        + " on " + Json.text(slowest.path("node")));
            }
        }

        private static String millis(long micros) {
            return String.format(java.util.Locale.ROOT, "%.3f", micros / 1000.0);
        }

        private ObjectNode conversation(ApiClient api) {
            // Pages are walked here, so one command still shows a whole conversation while no single
            // answer from the node is larger than a page.
            ObjectNode first = null;
            com.fasterxml.jackson.databind.node.ArrayNode messages = null;
            String next = cursor;
            int shown = 0;
            // Nodes of a cluster that did not answer for some page: their messages are missing.
            java.util.Set<String> incomplete = new java.util.TreeSet<>();
            java.util.Set<String> nodes = new java.util.TreeSet<>();
            do {
                int size = limit == null ? PAGE : Math.min(PAGE, limit - shown);
                String query = "?limit=" + size + (next == null ? "" : "&cursor=" + segment(next));
                JsonNode page = api.get("/conversations/" + segment(conversation) + query);
                if (first == null) {
                    first = page.deepCopy();
                    messages = first.putArray("messages");
                }
                for (JsonNode m : page.path("messages")) {
                    messages.add(m);
                    if (m.path("node").isTextual()) {
                        nodes.add(m.get("node").asText());
                    }
                    shown++;
                }
                incomplete.addAll(Json.strings(page.path("incomplete")));
                next = page.path("next_cursor").isTextual() ? page.get("next_cursor").asText() : null;
            } while (next != null && (limit == null || shown < limit));
            if (next == null) {
                first.putNull("next_cursor");
            } else {
                first.put("next_cursor", next);
            }
            var missing = first.putArray("incomplete");
            incomplete.forEach(missing::add);
            return first;
        }

        private static void printJournal(ObjectNode first, PrintWriter out) {
            JsonNode messages = first.path("messages");
            java.util.Set<String> nodes = new java.util.TreeSet<>();
            for (JsonNode m : messages) {
                if (m.path("node").isTextual()) {
                    nodes.add(m.get("node").asText());
                }
            }
            java.util.List<String> incomplete = Json.strings(first.path("incomplete"));
            String next = first.path("next_cursor").isTextual() ? first.get("next_cursor").asText() : null;
            out.println("conversation " + Json.text(first.path("id")) + ": " + first.path("message_count").asLong()
                    + " messages, participants " + String.join(", ", Json.strings(first.path("participants"))));
            // A NODE column only when the conversation spans nodes: sequences are then per node.
            boolean spans = nodes.size() > 1;
            TextTable table = spans ? new TextTable("NODE", "#", "AT", "PERFORMATIVE", "SENDER", "RECEIVER", "CONTENT")
                    : new TextTable("#", "AT", "PERFORMATIVE", "SENDER", "RECEIVER", "CONTENT");
            for (JsonNode m : messages) {
                List<String> row = new java.util.ArrayList<>();
                if (spans) {
                    row.add(Json.text(m.path("node")));
                }
                row.addAll(List.of(Json.text(m.path("sequence")), Json.time(m.path("at")), Json.text(m.path("performative")),
                        Json.text(m.path("sender")), Json.text(m.path("receiver")),
                        Json.compact(m.path("envelope").path("content"))));
                table.row(row.toArray(String[]::new));
            }
            table.print(out);
            if (!incomplete.isEmpty()) {
                out.println("incomplete: node(s) " + String.join(", ", incomplete)
                        + " did not answer in time; their messages are missing");
            }
            if (next != null) {
                out.println("more messages follow: --cursor " + next);
            }
            long omitted = first.path("omitted").asLong();
            if (omitted > 0) {
                out.println(omitted + " later messages were delivered but not journalled"
                        + " (the conversation reached messaging.conversation_max_messages)");
            }
        }
    }
}
