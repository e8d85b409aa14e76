package dev.caxton.fipa.acl;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The FIPA ACL string representation (SC00070): parses a message's text into an {@link AclMessage}
 * and prints one back.
 *
 * <p>Parsing is strict: anything outside the grammar is an {@link AclParseException} naming what was
 * expected and the character offset, never another exception, whatever the input (a fuzz test holds
 * it to that). Nesting is bounded so hostile input cannot exhaust the stack. Parameter names and the
 * performative are case-insensitive, as JADE reads them.
 *
 * <p>Dates ({@code reply-by}) are {@code yyyyMMddTHHmmssSSS} with an optional {@code Z}; a date
 * without a time zone letter is read as UTC (the representation leaves it to the platforms, and JADE
 * prints UTC). A leading sign makes it relative to now.
 */
public final class AclCodec {

    /** How deeply parentheses may nest inside one message. */
    public static final int MAX_DEPTH = 32;

    private static final DateTimeFormatter FIPA_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS", Locale.ROOT);

    private AclCodec() {
    }

    // ------------------------------------------------------------------ printing

    /**
     * Prints a message in the string representation.
     *
     * @param m the message
     * @return its text
     */
    public static String print(AclMessage m) {
        StringBuilder b = new StringBuilder(256);
        b.append('(').append(m.performative());
        if (m.sender() != null) {
            b.append("\n :sender ");
            printAid(b, m.sender());
        }
        if (!m.receivers().isEmpty()) {
            b.append("\n :receiver ");
            printAidSet(b, "set", m.receivers());
        }
        if (!m.replyTo().isEmpty()) {
            b.append("\n :reply-to ");
            printAidSet(b, "set", m.replyTo());
        }
        if (m.content() != null) {
            b.append("\n :content ");
            quote(b, m.content());
        }
        expression(b, ":language", m.language());
        expression(b, ":encoding", m.encoding());
        expression(b, ":ontology", m.ontology());
        expression(b, ":protocol", m.protocol());
        expression(b, ":conversation-id", m.conversationId());
        expression(b, ":reply-with", m.replyWith());
        expression(b, ":in-reply-to", m.inReplyTo());
        if (m.replyBy() != null) {
            b.append("\n :reply-by ").append(formatDate(m.replyBy()));
        }
        for (Map.Entry<String, String> p : m.userParams().entrySet()) {
            expression(b, ":" + p.getKey(), p.getValue());
        }
        return b.append(')').toString();
    }

    /**
     * A FIPA date in UTC with the {@code Z} designator, as the ACL and the XML envelope write it.
     *
     * @param t the instant
     * @return e.g. {@code 20261206T101500000Z}
     */
    public static String formatDate(Instant t) {
        return FIPA_DATE.format(LocalDateTime.ofInstant(t, ZoneOffset.UTC)) + "Z";
    }

    private static void expression(StringBuilder b, String param, String value) {
        if (value != null) {
            b.append("\n ").append(param).append(' ');
            token(b, value);
        }
    }

    private static void printAid(StringBuilder b, Aid a) {
        b.append("(agent-identifier :name ");
        token(b, a.name());
        if (!a.addresses().isEmpty()) {
            b.append(" :addresses (sequence");
            for (String u : a.addresses()) {
                b.append(' ');
                token(b, u);
            }
            b.append(')');
        }
        if (!a.resolvers().isEmpty()) {
            b.append(" :resolvers ");
            printAidSet(b, "sequence", a.resolvers());
        }
        for (Map.Entry<String, String> p : a.userParams().entrySet()) {
            b.append(" :").append(p.getKey()).append(' ');
            token(b, p.getValue());
        }
        b.append(')');
    }

    private static void printAidSet(StringBuilder b, String kind, List<Aid> aids) {
        b.append('(').append(kind);
        for (Aid a : aids) {
            b.append(' ');
            printAid(b, a);
        }
        b.append(')');
    }

    /** A word when the text is one, a quoted string otherwise. */
    private static void token(StringBuilder b, String s) {
        if (isWord(s)) {
            b.append(s);
        } else {
            quote(b, s);
        }
    }

    /**
     * A string literal as SC00070 defines it: only a quote is escaped (as {@code \"}); a backslash
     * stands for itself, which is also how JADE prints and reads strings. The one text that form
     * cannot carry, one ending in a backslash (it would escape the closing quote), is written as a
     * byte-length-encoded string instead.
     */
    private static void quote(StringBuilder b, String s) {
        if (s.endsWith("\\")) {
            b.append('#').append(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).append('"').append(s);
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                b.append('\\');
            }
            b.append(c);
        }
        b.append('"');
    }

    /**
     * Whether a text is a word of the grammar (and so needs no quotes).
     *
     * @param s the text
     * @return true for a non-empty word
     */
    public static boolean isWord(String s) {
        if (s.isEmpty()) {
            return false;
        }
        char f = s.charAt(0);
        if (f == '#' || f == '-' || f == '@' || f == '"' || f == ':' || f == '+' || f == '.'
                || (f >= '0' && f <= '9')) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c == '(' || c == ')' || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ parsing

    /**
     * Parses one message; only white space may follow it.
     *
     * @param text the message text
     * @return the message
     * @throws AclParseException when the text is not a message of the string representation
     */
    public static AclMessage parse(String text) {
        Parser p = new Parser(text);
        AclMessage m = p.message();
        p.skipSpace();
        if (!p.atEnd()) {
            throw p.error("unexpected text after the end of the message");
        }
        return m;
    }

    /**
     * Parses a FIPA date.
     *
     * @param s the date token
     * @return the instant
     * @throws AclParseException when it is not a FIPA date
     */
    public static Instant parseDate(String s) {
        return parseDate(s, 0);
    }

    static Instant parseDate(String s, int at) {
        String t = s;
        int sign = 0;
        if (t.startsWith("+") || t.startsWith("-")) {
            sign = t.charAt(0) == '+' ? 1 : -1;
            t = t.substring(1);
        }
        if (!t.isEmpty() && Character.isLetter(t.charAt(t.length() - 1))) {
            char zone = t.charAt(t.length() - 1);
            if (zone != 'Z' && zone != 'z') {
                throw new AclParseException(at, "date '" + s + "' has time zone '" + zone
                        + "'; only Z (UTC) or no letter (read as UTC) is supported");
            }
            t = t.substring(0, t.length() - 1);
        }
        if (!t.matches("[0-9]{8}T[0-9]{9}")) {
            throw new AclParseException(at, "date '" + s + "' is not of the form yyyyMMddTHHmmssSSS[Z]");
        }
        if (sign != 0) {
            long years = Long.parseLong(t.substring(0, 4));
            long months = Long.parseLong(t.substring(4, 6));
            long days = Long.parseLong(t.substring(6, 8));
            if (years != 0 || months != 0) {
                throw new AclParseException(at, "relative date '" + s + "' counts years or months; use days");
            }
            long ms = ((days * 24 + Long.parseLong(t.substring(9, 11))) * 60 + Long.parseLong(t.substring(11, 13)))
                    * 60_000 + Long.parseLong(t.substring(13, 15)) * 1000 + Long.parseLong(t.substring(15, 18));
            return Instant.now().plusMillis(sign * ms);
        }
        try {
            return LocalDateTime.parse(t, FIPA_DATE).toInstant(ZoneOffset.UTC);
        } catch (java.time.DateTimeException e) {
            throw new AclParseException(at, "date '" + s + "' is not a valid date");
        }
    }

    /** A recursive-descent reader over the text, tracking the offset for errors. */
    private static final class Parser {
        private final String s;
        private int pos;
        private int depth;

        Parser(String s) {
            this.s = s;
        }

        AclParseException error(String what) {
            return new AclParseException(pos, what);
        }

        boolean atEnd() {
            return pos >= s.length();
        }

        void skipSpace() {
            while (pos < s.length() && s.charAt(pos) <= 0x20) {
                pos++;
            }
        }

        void open(String what) {
            skipSpace();
            if (atEnd() || s.charAt(pos) != '(') {
                throw error("expected '(' to start " + what);
            }
            if (++depth > MAX_DEPTH) {
                throw error("nested deeper than " + MAX_DEPTH + " levels");
            }
            pos++;
        }

        boolean peekClose() {
            skipSpace();
            if (atEnd()) {
                throw error("unexpected end of the message: a ')' is missing");
            }
            if (s.charAt(pos) == ')') {
                pos++;
                depth--;
                return true;
            }
            return false;
        }

        /** A bare token: everything up to white space or a parenthesis. */
        String bare(String what) {
            skipSpace();
            int start = pos;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c <= 0x20 || c == '(' || c == ')') {
                    break;
                }
                pos++;
            }
            if (pos == start) {
                throw error(atEnd() ? "unexpected end of the message: expected " + what : "expected " + what);
            }
            return s.substring(start, pos);
        }

        AclMessage message() {
            open("a message");
            skipSpace();
            int at = pos;
            String performative = bare("a performative").toLowerCase(Locale.ROOT);
            if (!AclMessage.PERFORMATIVES.contains(performative)) {
                throw new AclParseException(at, "unknown performative '" + performative + "'");
            }
            Aid sender = null;
            List<Aid> receivers = null;
            List<Aid> replyTo = null;
            Instant replyBy = null;
            Map<String, String> exprs = new LinkedHashMap<>();
            Map<String, String> user = new LinkedHashMap<>();
            while (!peekClose()) {
                int pat = pos;
                String name = bare("a parameter name");
                if (!name.startsWith(":") || name.length() < 2) {
                    throw new AclParseException(pat, "expected a parameter name starting with ':', found '"
                            + shorten(name) + "'");
                }
                String key = name.substring(1).toLowerCase(Locale.ROOT);
                switch (key) {
                    case "sender" -> {
                        if (sender != null) {
                            throw new AclParseException(pat, "parameter :sender given twice");
                        }
                        sender = aid();
                    }
                    case "receiver" -> {
                        if (receivers != null) {
                            throw new AclParseException(pat, "parameter :receiver given twice");
                        }
                        receivers = aidCollection("set");
                    }
                    case "reply-to" -> {
                        if (replyTo != null) {
                            throw new AclParseException(pat, "parameter :reply-to given twice");
                        }
                        replyTo = aidCollection("set");
                    }
                    case "reply-by" -> {
                        if (replyBy != null) {
                            throw new AclParseException(pat, "parameter :reply-by given twice");
                        }
                        skipSpace();
                        int dat = pos;
                        String d = atEnd() || s.charAt(pos) != '"' ? bare("a date") : string();
                        replyBy = parseDate(d, dat);
                    }
                    case "content", "language", "encoding", "ontology", "protocol", "conversation-id",
                         "reply-with", "in-reply-to" -> {
                        if (exprs.put(key, expression()) != null) {
                            throw new AclParseException(pat, "parameter " + name + " given twice");
                        }
                    }
                    default -> {
                        if (user.put(name.substring(1), expression()) != null) {
                            throw new AclParseException(pat, "parameter " + name + " given twice");
                        }
                    }
                }
            }
            return new AclMessage(performative, sender, receivers, replyTo, exprs.get("content"),
                    exprs.get("language"), exprs.get("encoding"), exprs.get("ontology"), exprs.get("protocol"),
                    exprs.get("conversation-id"), exprs.get("reply-with"), exprs.get("in-reply-to"), replyBy, user);
        }

        List<Aid> aidCollection(String kind) {
            open("a (" + kind + " ...) of agent identifiers");
            skipSpace();
            int at = pos;
            String k = bare("'" + kind + "'");
            if (!k.equalsIgnoreCase(kind) && !k.equalsIgnoreCase("set") && !k.equalsIgnoreCase("sequence")) {
                throw new AclParseException(at, "expected '" + kind + "', found '" + shorten(k) + "'");
            }
            List<Aid> out = new ArrayList<>();
            while (!peekClose()) {
                out.add(aid());
            }
            return out;
        }

        Aid aid() {
            open("an agent identifier");
            skipSpace();
            int at = pos;
            String k = bare("'agent-identifier'");
            if (!k.equalsIgnoreCase("agent-identifier")) {
                throw new AclParseException(at, "expected 'agent-identifier', found '" + shorten(k) + "'");
            }
            String name = null;
            List<String> addresses = List.of();
            List<Aid> resolvers = List.of();
            Map<String, String> user = new LinkedHashMap<>();
            while (!peekClose()) {
                int pat = pos;
                String p = bare("an agent identifier parameter");
                switch (p.toLowerCase(Locale.ROOT)) {
                    case ":name" -> {
                        if (name != null) {
                            throw new AclParseException(pat, "parameter :name given twice");
                        }
                        name = wordOrString("an agent name");
                    }
                    case ":addresses" -> {
                        open("a (sequence ...) of addresses");
                        skipSpace();
                        int sat = pos;
                        String seq = bare("'sequence'");
                        if (!seq.equalsIgnoreCase("sequence") && !seq.equalsIgnoreCase("set")) {
                            throw new AclParseException(sat, "expected 'sequence', found '" + shorten(seq) + "'");
                        }
                        List<String> urls = new ArrayList<>();
                        while (!peekClose()) {
                            urls.add(wordOrString("an address"));
                        }
                        addresses = urls;
                    }
                    case ":resolvers" -> resolvers = aidCollection("sequence");
                    default -> {
                        if (!p.startsWith(":") || p.length() < 2) {
                            throw new AclParseException(pat, "expected an agent identifier parameter starting with"
                                    + " ':', found '" + shorten(p) + "'");
                        }
                        user.put(p.substring(1), expression());
                    }
                }
            }
            if (name == null) {
                throw new AclParseException(at, "agent identifier without :name");
            }
            return new Aid(name, addresses, resolvers, user);
        }

        String wordOrString(String what) {
            skipSpace();
            if (!atEnd() && (s.charAt(pos) == '"' || s.charAt(pos) == '#')) {
                return string();
            }
            if (!atEnd() && s.charAt(pos) == '(') {
                throw error("expected " + what + ", found '('");
            }
            return bare(what);
        }

        /** A word, number, date, string, or a parenthesised expression kept as its source text. */
        String expression() {
            skipSpace();
            if (atEnd()) {
                throw error("unexpected end of the message: expected a value");
            }
            char c = s.charAt(pos);
            if (c == '"' || c == '#') {
                return string();
            }
            if (c == '(') {
                int start = pos;
                open("an expression");
                while (!peekClose()) {
                    expression();
                }
                return s.substring(start, pos);
            }
            if (c == ')') {
                throw error("expected a value, found ')'");
            }
            return bare("a value");
        }

        String string() {
            char c = s.charAt(pos);
            if (c == '#') {
                return byteLengthString();
            }
            int start = pos++;
            StringBuilder b = new StringBuilder();
            while (pos < s.length()) {
                char d = s.charAt(pos++);
                if (d == '"') {
                    return b.toString();
                }
                // Only \" is an escape; any other backslash is itself (SC00070, and JADE).
                if (d == '\\' && pos < s.length() && s.charAt(pos) == '"') {
                    d = s.charAt(pos++);
                }
                b.append(d);
            }
            throw new AclParseException(start, "string not closed: a '\"' is missing");
        }

        /** {@code #<digits>"<that many bytes of UTF-8>}. */
        String byteLengthString() {
            int start = pos++;
            int digits = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                pos++;
            }
            if (pos == digits || pos - digits > 9) {
                throw new AclParseException(start, "a byte-length string needs 1 to 9 digits after '#'");
            }
            long n = Long.parseLong(s.substring(digits, pos));
            if (pos >= s.length() || s.charAt(pos) != '"') {
                throw error("expected '\"' after the length of a byte-length string");
            }
            pos++;
            int from = pos;
            long bytes = 0;
            while (bytes < n) {
                if (pos >= s.length()) {
                    throw new AclParseException(start, "byte-length string announces " + n
                            + " bytes, the message ends after " + bytes);
                }
                char d = s.charAt(pos);
                if (Character.isHighSurrogate(d) && pos + 1 < s.length() && Character.isLowSurrogate(s.charAt(pos + 1))) {
                    bytes += 4;
                    pos += 2;
                } else {
                    bytes += d < 0x80 ? 1 : d < 0x800 ? 2 : 3;
                    pos++;
                }
            }
            if (bytes != n) {
                throw new AclParseException(start, "byte-length string of " + n + " bytes ends inside a character");
            }
            return s.substring(from, pos);
        }

        private static String shorten(String t) {
            return t.length() > 40 ? t.substring(0, 40) + "..." : t;
        }
    }
}
