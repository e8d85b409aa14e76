package dev.caxton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.DeadLetter;
import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.metrics.DeadLetterReason;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The messages of a benchmark run that will never be handled, and why: dead letters (an agent
 * faulted or failed, a queue stayed full, a TTL expired...), sends the node refused and, for
 * requests, failure replies. Counting them is what lets the run end when every message is handled
 * or lost, instead of waiting out the stall timeout for messages that are gone.
 *
 * @param count    messages lost
 * @param reasons  how many were lost for each reason: a dead letter's category ({@code fault},
 *                 {@code ttl_expired}, ...), {@code refused_<status>} for a refused send,
 *                 {@code failure} for a request answered with a failure reply, {@code no_reply} for
 *                 one whose wait ran out
 * @param examples a few of the reasons' own texts, as the dead letter queue or the refusal has them
 */
record LostMessages(long count, Map<String, Long> reasons, List<String> examples) {

    /** Nothing lost. */
    static final LostMessages NONE = new LostMessages(0, Map.of(), List.of());

    /** Enough texts to show what happened without flooding the report when thousands were lost. */
    private static final int EXAMPLES = 3;

    LostMessages {
        // Most frequent first, so the text leads with what matters.
        reasons = java.util.Collections.unmodifiableMap(sorted(reasons));
        examples = List.copyOf(examples);
    }

    private static Map<String, Long> sorted(Map<String, Long> m) {
        Map<String, Long> out = new LinkedHashMap<>();
        m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
                .thenComparing(Map.Entry.comparingByKey())).forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** @return e.g. {@code 4 agent faults (trap: unreachable)} */
    String text() {
        List<String> parts = new ArrayList<>();
        reasons.forEach((k, v) -> parts.add(String.format(Locale.ROOT, "%,d %s", v, label(k, v))));
        return String.join(", ", parts) + (examples.isEmpty() ? "" : " (" + String.join("; ", examples) + ")");
    }

    private static String label(String key, long n) {
        if (key.equals("fault")) {
            return n == 1 ? "agent fault" : "agent faults";
        }
        if (key.equals("failure")) {
            return n == 1 ? "failure reply" : "failure replies";
        }
        if (key.startsWith("refused_")) {
            return (n == 1 ? "send" : "sends") + " refused (" + key.substring("refused_".length()) + ")";
        }
        return key.replace('_', ' ');
    }

    /**
     * Writes {@code lost}, {@code lost_reasons} and {@code lost_examples} into a report's
     * throughput object.
     *
     * @param throughput the object
     */
    void json(ObjectNode throughput) {
        throughput.put("lost", count);
        ObjectNode r = throughput.putObject("lost_reasons");
        reasons.forEach(r::put);
        examples.forEach(throughput.putArray("lost_examples")::add);
    }

    /**
     * Counts as they happen, from any thread. Made with a node, every dead letter on it since the
     * tally began is one of the run's messages (the benchmark's node is its own); made without, only
     * the losses told to it count: a request-reply run settles each request once, whereas one lost
     * request can leave two dead letters (the request and the failure reply that came too late).
     */
    static final class Tally {
        private final CaxtonNode node;
        private final long[] deadBefore;
        private final Map<String, Long> told = new LinkedHashMap<>();
        private final Set<String> toldTexts = new LinkedHashSet<>();
        private long toldCount;

        /** A tally of the losses told to it alone. */
        Tally() {
            this(null);
        }

        /** @param node whose dead letters from now on are all the run's losses, or null */
        Tally(CaxtonNode node) {
            this.node = node;
            DeadLetterReason[] all = DeadLetterReason.values();
            deadBefore = new long[all.length];
            if (node != null) {
                for (DeadLetterReason c : all) {
                    deadBefore[c.ordinal()] = node.metrics().deadLetters(c);
                }
            }
        }

        /** @param e a send the node refused (for another reason than a full queue, which is waited out) */
        void refused(RoutingException e) {
            lost("refused_" + e.status().name().toLowerCase(Locale.ROOT), e.getMessage());
        }

        /**
         * One message lost.
         *
         * @param reason the key it is counted under in {@link #reasons}
         * @param text   what the node said about it
         */
        synchronized void lost(String reason, String text) {
            toldCount++;
            told.merge(reason, 1L, Long::sum);
            if (toldTexts.size() < EXAMPLES) {
                toldTexts.add(shorten(text));
            }
        }

        /** @return messages lost so far; cheap enough to poll */
        synchronized long count() {
            long n = toldCount;
            if (node != null) {
                for (DeadLetterReason c : DeadLetterReason.values()) {
                    n += node.metrics().deadLetters(c) - deadBefore[c.ordinal()];
                }
            }
            return n;
        }

        /** @return what was lost, with the texts of the newest dead letters */
        synchronized LostMessages settle() {
            Map<String, Long> reasons = new LinkedHashMap<>();
            long dead = 0;
            if (node != null) {
                for (DeadLetterReason c : DeadLetterReason.values()) {
                    long n = node.metrics().deadLetters(c) - deadBefore[c.ordinal()];
                    if (n > 0) {
                        reasons.put(c.label(), n);
                        dead += n;
                    }
                }
            }
            told.forEach((k, v) -> reasons.merge(k, v, Long::sum));
            Set<String> texts = new LinkedHashSet<>();
            if (dead > 0) {
                for (DeadLetter d : node.deadLetters((int) Math.min(dead, 100))) {
                    if (texts.size() == EXAMPLES) {
                        break;
                    }
                    texts.add(shorten(d.reason()));
                }
            }
            for (String t : toldTexts) {
                if (texts.size() < EXAMPLES) {
                    texts.add(t);
                }
            }
            return new LostMessages(dead + toldCount, reasons, List.copyOf(texts));
        }

        private static String shorten(String s) {
            String t = s == null ? "no reason given" : s.strip();
            return t.length() <= 160 ? t : t.substring(0, 157) + "...";
        }
    }
}
