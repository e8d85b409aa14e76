package dev.caxton.runtime.routing;

import dev.caxton.spi.message.Envelope;

import java.util.List;
import java.util.Map;

/**
 * An upper bound on the size of an envelope once encoded, in any codec of the value model (JSON,
 * MessagePack), found without encoding it. The node refuses messages larger than
 * {@code messaging.max_message_size} before routing them; encoding each one only to measure it cost
 * a sixth of the node's time under load, while almost every message is far below the limit. The
 * bound settles those; a message whose bound exceeds the limit, or whose content holds anything
 * the bound cannot vouch for, is still encoded and measured exactly.
 *
 * <p>The bound is worst case per value: six bytes per string character (the escape JSON writes
 * for a control character is the longest form), 32 per number, and fixed room for field names and punctuation.
 * It vouches only for what every codec is known to encode: strings without surrogates, finite
 * doubles and floats, longs, ints, shorts, bytes, big integers that fit in a long, booleans, null, lists and string-keyed maps nested at most {@value #MAX_DEPTH}
 * deep with at most {@value #MAX_ITEMS} values in all. Anything else is left to the codec, which
 * also reports it precisely when it cannot be encoded.
 */
public final class EncodedSizeBound {

    /** Answer when the content holds something only encoding can judge. */
    public static final long UNKNOWN = -1;

    static final int MAX_DEPTH = 16;
    static final int MAX_ITEMS = 10_000;

    /** Field names, punctuation, the performative, the priority, reply_by, broadcast and hops. */
    private static final long FIXED = 1024;
    private static final long PER_CHAR = 6;
    private static final long PER_STRING = 8;
    private static final long PER_SCALAR = 32;

    private int items;

    private EncodedSizeBound() {
    }

    /**
     * The bound for an envelope.
     *
     * @param e the envelope
     * @return at least the size of its encoding in bytes, or {@link #UNKNOWN}
     */
    public static long of(Envelope e) {
        long strings = string(e.sender()) + string(e.receiver()) + string(e.capability()) + string(e.language())
                + string(e.ontology()) + string(e.protocol()) + string(e.conversationId()) + string(e.replyWith())
                + string(e.inReplyTo()) + string(e.messageId());
        if (strings < 0) {
            return UNKNOWN;
        }
        long content = new EncodedSizeBound().value(e.content(), 1);
        return content < 0 ? UNKNOWN : FIXED + strings + content;
    }

    private long value(Object v, int depth) {
        if (++items > MAX_ITEMS) {
            return UNKNOWN;
        }
        // Every fixed-width number: content built in Java holds Integer as often as Long (Map.of("n", 1)),
        // and sending such content to the codec only to measure it encoded each message twice.
        if (v == null || v instanceof Boolean || v instanceof Long || v instanceof Integer || v instanceof Short
                || v instanceof Byte) {
            return PER_SCALAR;
        }
        if (v instanceof Double d) {
            return Double.isFinite(d) ? PER_SCALAR : UNKNOWN;
        }
        if (v instanceof Float f) {
            return Float.isFinite(f) ? PER_SCALAR : UNKNOWN;
        }
        if (v instanceof java.math.BigInteger b) {
            // Within a long it is written as one; a longer one is left to the codec, which may refuse it.
            return b.bitLength() < Long.SIZE ? PER_SCALAR : UNKNOWN;
        }
        if (v instanceof String s) {
            return string(s);
        }
        if (depth > MAX_DEPTH) {
            return UNKNOWN;
        }
        long total = PER_STRING;
        if (v instanceof List<?> list) {
            for (Object item : list) {
                long b = value(item, depth + 1);
                if (b < 0) {
                    return UNKNOWN;
                }
                total += b + 1;
            }
            return total;
        }
        if (v instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String key)) {
                    return UNKNOWN;
                }
                long k = string(key);
                long b = value(entry.getValue(), depth + 1);
                if (k < 0 || b < 0) {
                    return UNKNOWN;
                }
                total += k + b + 2;
            }
            return total;
        }
        return UNKNOWN;
    }

    private static long string(String s) {
        if (s == null) {
            return 0;
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return UNKNOWN;
            }
        }
        return PER_STRING + PER_CHAR * s.length();
    }
}
