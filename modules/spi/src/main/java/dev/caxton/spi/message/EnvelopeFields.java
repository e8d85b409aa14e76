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
        forEachPresent(e, m::put);
        return m;
    }

    /**
     * Receives an envelope's fields one by one, for codecs that write them without building a map.
     */
    @FunctionalInterface
    public interface FieldSink {
        /**
         * One present field.
         *
         * @param name  its wire name
         * @param value its value as the map form has it (wire strings for the performative and the
         *              priority, a {@link Long} for the hop count), never null
         */
        void field(String name, Object value);
    }

    /**
     * Hands a sink the fields of an envelope that {@link #toMap} would hold, in the same order and
     * with the same values, without building the map.
     *
     * @param e    the envelope
     * @param sink what receives them
     */
    public static void forEachPresent(Envelope e, FieldSink sink) {
        sink.field(PERFORMATIVE, e.performative().wireName());
        put(sink, SENDER, e.sender());
        put(sink, RECEIVER, e.receiver());
        put(sink, CAPABILITY, e.capability());
        put(sink, BROADCAST, e.broadcast());
        put(sink, CONTENT, e.content());
        put(sink, LANGUAGE, e.language());
        put(sink, ONTOLOGY, e.ontology());
        put(sink, PROTOCOL, e.protocol());
        put(sink, CONVERSATION_ID, e.conversationId());
        put(sink, REPLY_WITH, e.replyWith());
        put(sink, IN_REPLY_TO, e.inReplyTo());
        put(sink, REPLY_BY, e.replyBy());
        put(sink, PRIORITY, e.priority() == null ? null : e.priority().wireName());
        put(sink, MESSAGE_ID, e.messageId());
        if (e.hops() > 0) {
            sink.field(HOPS, (long) e.hops());
        }
        put(sink, TRACEPARENT, e.traceparent());
    }

    /**
     * How many fields {@link #forEachPresent} hands on: the size of {@link #toMap}'s map, for codecs
     * that write a map's size before its entries.
     *
     * @param e the envelope
     * @return the number of present fields
     */
    public static int presentCount(Envelope e) {
        // Counted directly rather than through a sink: this runs for every message an agent gets.
        return 1 + present(e.sender()) + present(e.receiver()) + present(e.capability()) + present(e.broadcast())
                + present(e.content()) + present(e.language()) + present(e.ontology()) + present(e.protocol())
                + present(e.conversationId()) + present(e.replyWith()) + present(e.inReplyTo()) + present(e.replyBy())
                + present(e.priority()) + present(e.messageId()) + (e.hops() > 0 ? 1 : 0) + present(e.traceparent());
    }

    private static int present(Object v) {
        return v == null ? 0 : 1;
    }

    private static void put(FieldSink sink, String k, Object v) {
        if (v != null) {
            sink.field(k, v);
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
        Object[] values = new Object[ALL.size()];
        for (Map.Entry<String, ?> entry : m.entrySet()) {
            int index = indexOf(entry.getKey());
            if (index < 0) {
                throw unknownField(entry.getKey());
            }
            values[index] = entry.getValue();
        }
        return fromValues(values, null);
    }

    /**
     * The position of a wire name in {@link #ALL}, for codecs that collect an envelope's fields in
     * an array as they read instead of building a map.
     *
     * @param key a wire name
     * @return its index in {@link #ALL}, or -1 when it is not an envelope field
     */
    public static int indexOf(String key) {
        return switch (key) {
            case PERFORMATIVE -> 0;
            case SENDER -> 1;
            case RECEIVER -> 2;
            case CAPABILITY -> 3;
            case BROADCAST -> 4;
            case CONTENT -> 5;
            case LANGUAGE -> 6;
            case ONTOLOGY -> 7;
            case PROTOCOL -> 8;
            case CONVERSATION_ID -> 9;
            case REPLY_WITH -> 10;
            case IN_REPLY_TO -> 11;
            case REPLY_BY -> 12;
            case PRIORITY -> 13;
            case MESSAGE_ID -> 14;
            case HOPS -> 15;
            case TRACEPARENT -> 16;
            default -> -1;
        };
    }

    /**
     * The error for a key that is no envelope field, worded as every codec words it.
     *
     * @param key the key
     * @return the exception to throw
     */
    public static InvalidEnvelopeException unknownField(String key) {
        return new InvalidEnvelopeException(key, "unknown envelope field; known fields are " + String.join(", ", ALL));
    }

    /**
     * Reads an envelope from its fields' values, indexed as {@link #ALL} (see {@link #indexOf}),
     * checking every field's type as {@link #fromMap} does, with the same messages. A {@code null}
     * value counts as absent.
     *
     * @param v                  the values; not kept
     * @param absentPerformative the performative when none is given, or null to refuse that
     * @return the envelope
     * @throws InvalidEnvelopeException naming the field at fault
     * @throws IllegalArgumentException when the array does not have one slot per field
     */
    public static Envelope fromValues(Object[] v, Performative absentPerformative) {
        return fromValues(v, absentPerformative, null);
    }

    /**
     * Changes an envelope's fields between their check and the one build of the envelope: the host
     * completing an agent's reply (its sender, receiver, conversation, message id, hop count, trace)
     * without building the envelope a second time. It sees every field after the checks of
     * {@link #fromValues}, so a malformed field is refused with its own message before any
     * completion, and whatever the completion writes is taken as it is.
     *
     * <p>The fields are indexed as {@link #ALL} (see {@link #indexOf}) and hold their checked types:
     * the {@link Performative} at 0 (never null), a {@link Boolean} broadcast, the content value, a
     * {@link Long} reply_by, a {@link Priority}, an {@link Integer} hop count at 15 (never null), and
     * strings elsewhere; null is absent. A completion must leave each slot of its type.
     *
     * @since SPI 1.4
     */
    @FunctionalInterface
    public interface Completion {
        /**
         * Completes the checked fields in place.
         *
         * @param fields the fields, typed as described above; not kept after the call
         */
        void complete(Object[] fields);
    }

    /**
     * Like {@link #fromValues(Object[], Performative)}, with a completion applied to the checked
     * fields before the envelope is built: the same envelope as building it and then completing it
     * with {@link #complete(Envelope, Completion)}, with one build instead of two.
     *
     * @param v                  the values; not kept (the array is reused for the checked fields)
     * @param absentPerformative the performative when none is given, or null to refuse that
     * @param completion         what completes the checked fields, or null for none
     * @return the envelope
     * @throws InvalidEnvelopeException naming the field at fault
     * @throws IllegalArgumentException when the array does not have one slot per field
     * @since SPI 1.4
     */
    public static Envelope fromValues(Object[] v, Performative absentPerformative, Completion completion) {
        if (v.length != ALL.size()) {
            throw new IllegalArgumentException("expected " + ALL.size() + " field values, got " + v.length);
        }
        Object p = v[0];
        if (p == null && absentPerformative != null) {
            p = absentPerformative.wireName();
        }
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
        String pr = string(v[13], PRIORITY);
        if (pr != null) {
            priority = Priority.fromWire(pr).orElseThrow(() -> new InvalidEnvelopeException(PRIORITY,
                    "'" + pr + "' is not a priority; expected critical, high, normal or low"));
        }
        Object b = v[4];
        if (b != null && !(b instanceof Boolean)) {
            throw new InvalidEnvelopeException(BROADCAST, "expected true or false, got " + typeName(b));
        }
        Object rb = v[12];
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
        if (completion == null) {
            return new Envelope(performative, string(v[1], SENDER), string(v[2], RECEIVER), string(v[3], CAPABILITY),
                    (Boolean) b, v[5], string(v[6], LANGUAGE), string(v[7], ONTOLOGY), string(v[8], PROTOCOL),
                    string(v[9], CONVERSATION_ID), string(v[10], REPLY_WITH), string(v[11], IN_REPLY_TO), replyBy,
                    priority, string(v[14], MESSAGE_ID), hops(v[15]), traceparent(string(v[16], TRACEPARENT)));
        }
        // Every check runs, in the order above, before the completion sees anything: a malformed
        // field is refused with the same message whether or not the envelope is then completed.
        for (int i : STRING_SLOTS) {
            string(v[i], ALL.get(i));
        }
        int hops = hops(v[15]);
        traceparent(string(v[16], TRACEPARENT));
        v[0] = performative;
        v[12] = replyBy;
        v[13] = priority;
        v[15] = hops;
        completion.complete(v);
        return ofChecked(v);
    }

    /** The slots checked as strings before the hop count, in the order the build above checks them. */
    private static final int[] STRING_SLOTS = {1, 2, 3, 6, 7, 8, 9, 10, 11, 14};

    /**
     * Completes an envelope that is already built: its fields as a {@link Completion} sees them,
     * completed, then built again. What {@link dev.caxton.spi.serializer.Serializer}'s default
     * completing decode does for a codec that reads no fields of its own.
     *
     * @param e          the envelope
     * @param completion what completes its fields
     * @return the completed envelope
     * @since SPI 1.4
     */
    public static Envelope complete(Envelope e, Completion completion) {
        Object[] v = {e.performative(), e.sender(), e.receiver(), e.capability(), e.broadcast(), e.content(),
                e.language(), e.ontology(), e.protocol(), e.conversationId(), e.replyWith(), e.inReplyTo(),
                e.replyBy(), e.priority(), e.messageId(), e.hops(), e.traceparent()};
        completion.complete(v);
        return ofChecked(v);
    }

    private static Envelope ofChecked(Object[] v) {
        return new Envelope((Performative) v[0], (String) v[1], (String) v[2], (String) v[3], (Boolean) v[4], v[5],
                (String) v[6], (String) v[7], (String) v[8], (String) v[9], (String) v[10], (String) v[11],
                (Long) v[12], (Priority) v[13], (String) v[14], (Integer) v[15], (String) v[16]);
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

    private static String string(Object v, String key) {
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
