package dev.caxton.runtime.plugin;

/**
 * A range of SPI versions a plugin was built for, written as Maven writes version ranges:
 * {@code [1.0,2.0)} (1.0 included, 2.0 excluded), {@code [1.2,)} (1.2 or later), {@code [1.0]}
 * (exactly 1.0). Versions are {@code major.minor} ({@code 2} means {@code 2.0}).
 *
 * @param text the range as written
 */
record SpiRange(String text, int[] lower, boolean lowerInclusive, int[] upper, boolean upperInclusive) {

    /**
     * Parses a range.
     *
     * @param text the attribute value
     * @return the range
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static SpiRange parse(String text) {
        String t = text.strip();
        if (t.length() < 3 || "[(".indexOf(t.charAt(0)) < 0 || "])".indexOf(t.charAt(t.length() - 1)) < 0) {
            throw new IllegalArgumentException("'" + text + "' is not a version range; write it like [1.0,2.0)");
        }
        boolean lowerIn = t.charAt(0) == '[';
        boolean upperIn = t.charAt(t.length() - 1) == ']';
        String body = t.substring(1, t.length() - 1);
        int comma = body.indexOf(',');
        if (comma < 0) {
            if (!lowerIn || !upperIn) {
                throw new IllegalArgumentException("'" + text + "': a single version is written [1.0]");
            }
            int[] v = version(body, text);
            return new SpiRange(t, v, true, v, true);
        }
        if (body.indexOf(',', comma + 1) >= 0) {
            throw new IllegalArgumentException("'" + text + "' has more than two bounds; write it like [1.0,2.0)");
        }
        String lo = body.substring(0, comma).strip();
        String hi = body.substring(comma + 1).strip();
        int[] lower = lo.isEmpty() ? null : version(lo, text);
        int[] upper = hi.isEmpty() ? null : version(hi, text);
        if (lower == null && upper == null) {
            throw new IllegalArgumentException("'" + text + "' has no bound; write it like [1.0,2.0)");
        }
        if (lower != null && upper != null && compare(lower, upper) > 0) {
            throw new IllegalArgumentException("'" + text + "': the lower bound is above the upper bound");
        }
        return new SpiRange(t, lower, lowerIn, upper, upperIn);
    }

    /**
     * Whether a version lies in this range.
     *
     * @param version {@code major.minor}
     * @return true when it does
     */
    boolean contains(String version) {
        int[] v = version(version, version);
        if (lower != null) {
            int c = compare(v, lower);
            if (c < 0 || (c == 0 && !lowerInclusive)) {
                return false;
            }
        }
        if (upper != null) {
            int c = compare(v, upper);
            return c < 0 || (c == 0 && upperInclusive);
        }
        return true;
    }

    private static int[] version(String s, String range) {
        String[] parts = s.strip().split("\\.", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException("'" + range + "': '" + s + "' is not a major.minor version");
        }
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length == 2 ? Integer.parseInt(parts[1]) : 0;
            if (major < 0 || minor < 0) {
                throw new NumberFormatException();
            }
            return new int[] {major, minor};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + range + "': '" + s + "' is not a major.minor version");
        }
    }

    private static int compare(int[] a, int[] b) {
        return a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]);
    }

    @Override
    public String toString() {
        return text;
    }
}
