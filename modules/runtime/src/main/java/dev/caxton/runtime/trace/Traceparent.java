package dev.caxton.runtime.trace;

import dev.caxton.spi.message.EnvelopeFields;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Makes and reads W3C trace-context {@code traceparent} values
 * ({@code 00-<trace id>-<parent id>-<flags>}). Ids come from {@link ThreadLocalRandom}: they must be
 * unique, not secret.
 */
public final class Traceparent {

    private static final HexFormat HEX = HexFormat.of();

    private Traceparent() {
    }

    /**
     * A new trace, sampled.
     *
     * @return a traceparent with a fresh trace id and parent id and the sampled flag
     */
    public static String newTrace() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi;
        long lo;
        do {
            hi = r.nextLong();
            lo = r.nextLong();
        } while (hi == 0 && lo == 0);
        return "00-" + HEX.toHexDigits(hi) + HEX.toHexDigits(lo) + "-" + newSpan() + "-01";
    }

    /**
     * The traceparent of a message caused by the one carrying {@code parent}: the same trace id and
     * flags, a new parent id.
     *
     * @param parent a valid traceparent, or null
     * @return the child's traceparent, or null when {@code parent} is null or malformed
     */
    public static String child(String parent) {
        if (parent == null || !EnvelopeFields.isValidTraceparent(parent)) {
            return null;
        }
        return parent.substring(0, 36) + newSpan() + parent.substring(52);
    }

    /**
     * @param tp a valid traceparent
     * @return its trace id (32 hex)
     */
    public static String traceId(String tp) {
        return tp.substring(3, 35);
    }

    /**
     * @param tp a valid traceparent
     * @return its parent id (16 hex)
     */
    public static String spanId(String tp) {
        return tp.substring(36, 52);
    }

    /**
     * @param tp a traceparent, or null
     * @return whether it is well formed and its sampled flag is set
     */
    public static boolean sampled(String tp) {
        return tp != null && tp.length() == 55 && (Character.digit(tp.charAt(54), 16) & 1) == 1;
    }

    /** @return a fresh parent/span id: 16 hex digits, not all zero */
    static String newSpan() {
        long s;
        do {
            s = ThreadLocalRandom.current().nextLong();
        } while (s == 0);
        return HEX.toHexDigits(s);
    }
}
