package dev.caxton.spi.message;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The envelope's wire field names and the conversion between an {@link Envelope} and the generic
 * map every codec reads and writes. Codecs only turn bytes into value trees; the rules of what a
 * valid envelope map is live here, once, so JSON and MessagePack agree to the letter.
 */
public final class EnvelopeFields {

    /** {@code performative}: string, one of the 22 FIPA performatives. */
    public static final String PERFORMATIVE = "performative";
    /** {@code sender}: string. */
    public static final String SENDER = "sender";
    /** {@code receiver}: string. */
    public static final String RECEIVER = "receiver";
    /** {@code capability}: string. */
    public static final String CAPABILITY = "capability";
    /** {@code broadcast}: boolean. */
    public static final String BROADCAST = "broadcast";
    /** {@code content}: any value. */
    public static final String CONTENT = "content";
    /** {@code language}: string. */
    public static final String LANGUAGE = "language";
    /** {@code ontology}: string. */
    public static final String ONTOLOGY = "ontology";
    /** {@code protocol}: string. */
    public static final String PROTOCOL = "protocol";
    /** {@code conversation_id}: string. */
    public static final String CONVERSATION_ID = "conversation_id";
    /** {@code reply_with}: string. */
    public static final String REPLY_WITH = "reply_with";
    /** {@code in_reply_to}: string. */
    public static final String IN_REPLY_TO = "in_reply_to";
    /** {@code reply_by}: integer, ms since the epoch. */
    public static final String REPLY_BY = "reply_by";
    /** {@code priority}: string, one of critical, high, normal, low. */
    public static final String PRIORITY = "priority";
    /** {@code message_id}: string. */
    public static final String MESSAGE_ID = "message_id";

    /**
     * {@code hops}: non-negative integer, how many agent hand-offs led to the message. Written only
     * when above 0, so an encoding without it (every encoding made before hop counts) reads as 0.
     */
    public static final String HOPS = "hops";

    /**
     * {@code traceparent}: string, the W3C trace-context header value
     * ({@code 00-<32 lowercase hex trace id>-<16 lowercase hex parent id>-<2 hex flags>}, neither id
     * all zeros). Written only when set; anything else in it is refused, naming this field.
     */
    public static final String TRACEPARENT = "traceparent";

    /** Every field, in the order codecs write them. */
    public static final List<String> ALL = List.of(PERFORMATIVE, SENDER, RECEIVER, CAPABILITY, BROADCAST,
            CONTENT, LANGUAGE, ONTOLOGY, PROTOCOL, CONVERSATION_ID, REPLY_WITH, IN_REPLY_TO, REPLY_BY,
            PRIORITY, MESSAGE_ID, HOPS, TRACEPARENT);

    private EnvelopeFields() {
    }

    /**
     * The map form of an envelope: absent fields are left out; the content is kept as it is.
     *
     * @param e the envelope
     * @return an insertion-ordered map from wire name to value
     */
    public static Map<String, Object> toMap(Envelope e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(PERFORMATIVE, e.performative().wireName());
        put(m, SENDER, e.sender());
        put(m, RECEIVER, e.receiver());
        put(m, CAPABILITY, e.capability());
        put(m, BROADCAST, e.broadcast());
        if (e.content() != null) {
            m.put(CONTENT, e.content());
        }
        put(m, LANGUAGE, e.language());
        put(m, ONTOLOGY, e.ontology());
        put(m, PROTOCOL, e.protocol());
        put(m, CONVERSATION_ID, e.conversationId());
        put(m, REPLY_WITH, e.replyWith());
        put(m, IN_REPLY_TO, e.inReplyTo());
        put(m, REPLY_BY, e.replyBy());
        put(m, PRIORITY, e.priority() == null ? null : e.priority().wireName());
        put(m, MESSAGE_ID, e.messageId());
        if (e.hops() > 0) {
            m.put(HOPS, (long) e.hops());
        }
        put(m, TRACEPARENT, e.traceparent());
        return m;
    }

    private static void put(Map<String, Object> m, String k, Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    /**
     * Reads an envelope from its map form, checking every field's type. A {@code null} value counts
     * as absent. Unknown keys are refused, so that a misspelt field is an error rather than a message
     * that silently loses it.
     *
     * @param m the map, as a codec decoded it
     * @return the envelope
     * @throws InvalidEnvelopeException naming the field at fault
     */
    public static Envelope fromMap(Map<String, ?> m) {
        for (String key : m.keySet()) {
            if (!ALL.contains(key)) {
                throw new InvalidEnvelopeException(key, "unknown envelope field; known fields are "
                        + String.join(", ", ALL));
            }
        }
        Object p = m.get(PERFORMATIVE);
        if (p == null) {
            throw new InvalidEnvelopeException(PERFORMATIVE, "required field is missing");
        }
        if (!(p instanceof String ps)) {
            throw new InvalidEnvelopeException(PERFORMATIVE, "expected a string, got " + typeName(p));
        }
        Performative performative = Performative.fromWire(ps).orElseThrow(() -> new InvalidEnvelopeException(
                PERFORMATIVE, "'" + ps + "' is not a FIPA performative; expected one of "
                + String.join(" ", java.util.Arrays.stream(Performative.values()).map(Performative::wireName).toList())));
        Priority priority = null;
        String pr = string(m, PRIORITY);
        if (pr != null) {
            priority = Priority.fromWire(pr).orElseThrow(() -> new InvalidEnvelopeException(PRIORITY,
                    "'" + pr + "' is not a priority; expected critical, high, normal or low"));
        }
        Object b = m.get(BROADCAST);
        if (b != null && !(b instanceof Boolean)) {
            throw new InvalidEnvelopeException(BROADCAST, "expected true or false, got " + typeName(b));
        }
        Object rb = m.get(REPLY_BY);
        Long replyBy = null;
        if (rb != null) {
            if (rb instanceof Long || rb instanceof Integer || rb instanceof Short || rb instanceof Byte) {
                replyBy = ((Number) rb).longValue();
            } else if (rb instanceof BigInteger bi && bi.bitLength() < 64) {
                replyBy = bi.longValue();
            } else {
                throw new InvalidEnvelopeException(REPLY_BY, "expected an integer (ms since the epoch), got " + typeName(rb));
            }
        }
        return new Envelope(performative, string(m, SENDER), string(m, RECEIVER), string(m, CAPABILITY),
                (Boolean) b, m.get(CONTENT), string(m, LANGUAGE), string(m, ONTOLOGY), string(m, PROTOCOL),
                string(m, CONVERSATION_ID), string(m, REPLY_WITH), string(m, IN_REPLY_TO), replyBy, priority,
                string(m, MESSAGE_ID), hops(m.get(HOPS)), traceparent(string(m, TRACEPARENT)));
    }

    private static final java.util.regex.Pattern TRACEPARENT_FORM =
            java.util.regex.Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

    /**
     * Whether a string is a traceparent this version understands: version 00, lowercase hex, and
     * neither the trace id nor the parent id all zeros (the W3C rules for an invalid value).
     *
     * @param tp the value
     * @return true when well formed
     */
    public static boolean isValidTraceparent(String tp) {
        return tp != null && TRACEPARENT_FORM.matcher(tp).matches()
                && !tp.startsWith("00-00000000000000000000000000000000-") && !tp.substring(36, 52).equals("0000000000000000");
    }

    private static String traceparent(String tp) {
        if (tp != null && !isValidTraceparent(tp)) {
            String shown = tp.length() > 80 ? tp.substring(0, 80) + "…" : tp;
            throw new InvalidEnvelopeException(TRACEPARENT, "expected a W3C traceparent '00-' + 32 lowercase hex"
                    + " (trace id, not all zeros) + '-' + 16 lowercase hex (parent id, not all zeros) + '-' + 2 hex"
                    + " (flags), got '" + shown + "'");
        }
        return tp;
    }

    private static int hops(Object h) {
        if (h == null) {
            return 0;
        }
        long n;
        if (h instanceof Long || h instanceof Integer || h instanceof Short || h instanceof Byte) {
            n = ((Number) h).longValue();
        } else if (h instanceof BigInteger bi) {
            n = bi.signum() < 0 ? -1 : Long.MAX_VALUE;
        } else {
            throw new InvalidEnvelopeException(HOPS, "expected a whole number of hops (0 or more), got "
                    + (h instanceof Number ? h.toString() : typeName(h)));
        }
        if (n < 0) {
            throw new InvalidEnvelopeException(HOPS, "cannot be negative, got " + n);
        }
        // Beyond the int range the message is past any hop limit anyway; saturating keeps it refusable.
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    private static String string(Map<String, ?> m, String key) {
        Object v = m.get(key);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw new InvalidEnvelopeException(key, "expected a string, got " + typeName(v));
    }

    /**
     * Names the JSON-like type of a value for messages.
     *
     * @param v the value
     * @return {@code "a number"}, {@code "an object"}, ...
     */
    public static String typeName(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof Number) {
            return "a number";
        }
        if (v instanceof List<?>) {
            return "an array";
        }
        if (v instanceof Map<?, ?>) {
            return "an object";
        }
        return "a " + v.getClass().getSimpleName();
    }
}
