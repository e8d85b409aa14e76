package org.example.caxton.serializer.cbor;

/** Checks on strings that both directions share. */
final class Text {

    private Text() {
    }

    /**
     * Finds a char that is half of a surrogate pair without its other half: such a string is not
     * Unicode, has no UTF-8 form, and other serializers would refuse it, so this one does too.
     *
     * @param s the string
     * @return the index of the first unpaired surrogate, or -1 when there is none
     */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Shortens a string for an error message.
     *
     * @param s the string
     * @return at most 40 characters of it
     */
    static String brief(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
