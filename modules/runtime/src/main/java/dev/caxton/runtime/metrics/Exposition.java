package dev.caxton.runtime.metrics;

import java.util.Locale;

/**
 * Writes metric families in the Prometheus text format 0.0.4 or in OpenMetrics 1.0.0. The two
 * differ in three places this class owns: an OpenMetrics counter family is named without its
 * {@code _total} suffix (its samples keep it), OpenMetrics escapes quotes in HELP text, and an
 * OpenMetrics exposition ends with {@code # EOF}.
 *
 * <p>Callers write one family at a time: {@link #family} then its samples. Counter names passed
 * in must end with {@code _total}.
 */
public final class Exposition {

    /** The two formats the endpoint serves. */
    public enum Format {
        /** Prometheus text exposition format 0.0.4, the default. */
        TEXT("text/plain; version=0.0.4; charset=utf-8"),
        /** OpenMetrics 1.0.0 text. */
        OPENMETRICS("application/openmetrics-text; version=1.0.0; charset=utf-8");

        private final String contentType;

        Format(String contentType) {
            this.contentType = contentType;
        }

        /** @return the Content-Type header value */
        public String contentType() {
            return contentType;
        }

        /**
         * Picks the format an Accept header asks for: OpenMetrics when it names
         * {@code application/openmetrics-text} with a non-zero quality, the text format otherwise
         * (which is also what Prometheus falls back to).
         *
         * @param accept the header, may be null
         * @return the format
         */
        public static Format negotiate(String accept) {
            if (accept == null) {
                return TEXT;
            }
            for (String part : accept.split(",")) {
                String[] params = part.trim().split(";");
                if (!params[0].trim().equalsIgnoreCase("application/openmetrics-text")) {
                    continue;
                }
                boolean refused = false;
                for (int i = 1; i < params.length; i++) {
                    String p = params[i].trim().toLowerCase(Locale.ROOT);
                    if (p.startsWith("q=")) {
                        try {
                            refused = Double.parseDouble(p.substring(2)) <= 0;
                        } catch (NumberFormatException e) {
                            refused = true;
                        }
                    }
                }
                if (!refused) {
                    return OPENMETRICS;
                }
            }
            return TEXT;
        }
    }

    private final Format format;
    private final StringBuilder out = new StringBuilder(16 * 1024);

    /**
     * Starts an exposition.
     *
     * @param format the format to write
     */
    public Exposition(Format format) {
        this.format = format;
    }

    /** @return the format being written */
    public Format format() {
        return format;
    }

    /**
     * Writes a family's HELP and TYPE lines.
     *
     * @param name the metric name (for counters, with {@code _total})
     * @param type {@code counter}, {@code gauge} or {@code histogram}
     * @param help one line of help
     * @return this
     */
    public Exposition family(String name, String type, String help) {
        String family = name;
        if (type.equals("counter")) {
            if (!name.endsWith("_total")) {
                throw new IllegalArgumentException("a counter's name must end with _total: " + name);
            }
            if (format == Format.OPENMETRICS) {
                family = name.substring(0, name.length() - "_total".length());
            }
        }
        out.append("# HELP ").append(family).append(' ');
        escapeHelp(help);
        out.append('\n');
        out.append("# TYPE ").append(family).append(' ').append(type).append('\n');
        return this;
    }

    /**
     * Writes one sample.
     *
     * @param name        the sample's name
     * @param labelsValue label names and values, alternating
     * @param value       the value
     * @return this
     */
    public Exposition sample(String name, double value, String... labelsValue) {
        out.append(name);
        labels(labelsValue, null);
        out.append(' ');
        number(value);
        out.append('\n');
        return this;
    }

    /**
     * Writes one integral sample.
     *
     * @param name        the sample's name
     * @param value       the value
     * @param labelsValue label names and values, alternating
     * @return this
     */
    public Exposition sample(String name, long value, String... labelsValue) {
        out.append(name);
        labels(labelsValue, null);
        out.append(' ').append(value).append('\n');
        return this;
    }

    /**
     * Writes a counter with one unlabelled sample.
     *
     * @param name  the name, ending with {@code _total}
     * @param help  help text
     * @param value the value
     * @return this
     */
    public Exposition counter(String name, String help, long value) {
        return family(name, "counter", help).sample(name, value);
    }

    /**
     * Writes a gauge with one unlabelled sample.
     *
     * @param name  the name
     * @param help  help text
     * @param value the value
     * @return this
     */
    public Exposition gauge(String name, String help, double value) {
        return family(name, "gauge", help).sample(name, value);
    }

    /**
     * Writes a whole histogram family with one unlabelled series.
     *
     * @param name the base name (samples get {@code _bucket}, {@code _sum} and {@code _count})
     * @param help help text
     * @param h    the reading
     * @return this
     */
    public Exposition histogram(String name, String help, Histogram.Snapshot h) {
        family(name, "histogram", help);
        long[] c = h.cumulative();
        double[] b = h.bounds();
        for (int i = 0; i < b.length; i++) {
            out.append(name).append("_bucket");
            labels(new String[0], bound(b[i]));
            out.append(' ').append(c[i]).append('\n');
        }
        out.append(name).append("_bucket");
        labels(new String[0], "+Inf");
        out.append(' ').append(h.count()).append('\n');
        // OpenMetrics wants _count and _sum after the buckets; the text format accepts either order.
        sample(name + "_count", h.count());
        sample(name + "_sum", h.sumSeconds());
        return this;
    }

    /** @return the exposition, finished ({@code # EOF} for OpenMetrics) */
    public String finish() {
        if (format == Format.OPENMETRICS) {
            out.append("# EOF\n");
        }
        return out.toString();
    }

    private void labels(String[] kv, String le) {
        if (kv.length == 0 && le == null) {
            return;
        }
        if (kv.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name, value pairs");
        }
        out.append('{');
        for (int i = 0; i < kv.length; i += 2) {
            if (i > 0) {
                out.append(',');
            }
            out.append(kv[i]).append("=\"");
            escapeLabel(kv[i + 1]);
            out.append('"');
        }
        if (le != null) {
            if (kv.length > 0) {
                out.append(',');
            }
            out.append("le=\"").append(le).append('"');
        }
        out.append('}');
    }

    private static String bound(double b) {
        // Short, exact decimal forms ("0.00001", "2.5", "10.0") that both formats' float grammars accept.
        return new java.math.BigDecimal(Double.toString(b)).stripTrailingZeros().toPlainString()
                .transform(s -> s.contains(".") ? s : s + ".0");
    }

    private void number(double v) {
        if (Double.isNaN(v)) {
            out.append("NaN");
        } else if (Double.isInfinite(v)) {
            out.append(v > 0 ? "+Inf" : "-Inf");
        } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            out.append((long) v);
        } else {
            out.append(v);
        }
    }

    private void escapeLabel(String v) {
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(ch);
            }
        }
    }

    private void escapeHelp(String v) {
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '"' -> out.append(format == Format.OPENMETRICS ? "\\\"" : "\"");
                default -> out.append(ch);
            }
        }
    }
}
