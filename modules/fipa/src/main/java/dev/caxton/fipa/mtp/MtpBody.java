package dev.caxton.fipa.mtp;

import dev.caxton.fipa.envelope.EnvelopeException;
import dev.caxton.fipa.envelope.EnvelopeXml;
import dev.caxton.fipa.envelope.FipaEnvelope;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The body of an HTTP MTP request (SC00084): a {@code multipart/mixed} entity whose first part is
 * the XML envelope and whose second is the ACL payload.
 *
 * <p>Written the way JADE writes it, since JADE's reader is the strictest peer around: a quoted
 * boundary in the {@code Content-Type}, a preamble line, CRLF line ends everywhere, and a closing
 * delimiter followed by CRLF. Read leniently on line ends (LF alone is taken too) but strictly on
 * structure: exactly an envelope part and a payload part, or an {@link EnvelopeException} saying
 * what is missing.
 */
public final class MtpBody {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final String PREAMBLE = "This is not part of the MIME multipart encoded message.";

    /**
     * An encoded body and the {@code Content-Type} header that goes with it.
     *
     * @param contentType the header value, with the boundary
     * @param body        the entity's bytes
     */
    public record Encoded(String contentType, byte[] body) {
    }

    /**
     * A decoded body.
     *
     * @param envelope the transport envelope
     * @param payload  the ACL message's bytes (decode with {@link #charset})
     */
    public record Decoded(FipaEnvelope envelope, byte[] payload) {
        /** @return the payload's character set: the envelope's {@code payload-encoding}, UTF-8 when absent or unknown */
        public java.nio.charset.Charset charset() {
            String enc = envelope.payloadEncoding();
            if (enc == null || enc.isBlank()) {
                return StandardCharsets.UTF_8;
            }
            try {
                return java.nio.charset.Charset.forName(enc.strip());
            } catch (IllegalArgumentException ex) {
                return StandardCharsets.UTF_8;
            }
        }
    }

    private MtpBody() {
    }

    /**
     * Encodes an envelope and its payload.
     *
     * @param envelope the envelope (its payload length should match {@code payload})
     * @param payload  the ACL message's bytes
     * @return the body and its content type
     */
    public static Encoded encode(FipaEnvelope envelope, byte[] payload) {
        byte[] rnd = new byte[16];
        ThreadLocalRandom.current().nextBytes(rnd);
        String boundary = HexFormat.of().formatHex(rnd);
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 1024);
        line(out, PREAMBLE);
        line(out, "--" + boundary);
        line(out, "Content-Type: application/xml");
        out.writeBytes(CRLF);
        line(out, EnvelopeXml.write(envelope));
        line(out, "--" + boundary);
        line(out, "Content-Type: application/text");
        out.writeBytes(CRLF);
        out.writeBytes(payload);
        out.writeBytes(CRLF);
        line(out, "--" + boundary + "--");
        return new Encoded("multipart/mixed ; boundary=\"" + boundary + "\"", out.toByteArray());
    }

    private static void line(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(CRLF);
    }

    /**
     * The boundary named in a {@code Content-Type} header.
     *
     * @param contentType the header value
     * @return the boundary
     * @throws EnvelopeException when the type is not multipart/mixed or names no boundary
     */
    public static String boundary(String contentType) {
        if (contentType == null) {
            throw new EnvelopeException("the request has no Content-Type; the MTP sends multipart/mixed");
        }
        String[] parts = contentType.split(";");
        if (!parts[0].strip().toLowerCase(Locale.ROOT).startsWith("multipart/")) {
            throw new EnvelopeException("Content-Type '" + parts[0].strip() + "' is not multipart/mixed");
        }
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].strip();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).strip().equalsIgnoreCase("boundary")) {
                String v = p.substring(eq + 1).strip();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                if (v.isEmpty() || v.length() > 200) {
                    throw new EnvelopeException("the multipart boundary must be 1 to 200 characters");
                }
                return v;
            }
        }
        throw new EnvelopeException("Content-Type names no boundary");
    }

    /**
     * Decodes a body.
     *
     * @param contentType the request's {@code Content-Type}
     * @param body        the entity
     * @return the envelope and payload
     * @throws EnvelopeException when the body is not an MTP message, saying what is wrong
     */
    public static Decoded decode(String contentType, byte[] body) {
        byte[] delim = ("--" + boundary(contentType)).getBytes(StandardCharsets.ISO_8859_1);
        int at = findDelimiter(body, delim, 0);
        if (at < 0) {
            throw new EnvelopeException("the body holds no part: the boundary never appears");
        }
        byte[][] parts = new byte[2][];
        String[] types = new String[2];
        int n = 0;
        while (true) {
            int p = at + delim.length;
            if (p + 1 < body.length && body[p] == '-' && body[p + 1] == '-') {
                break;
            }
            p = endOfLine(body, p);
            if (p < 0) {
                throw new EnvelopeException("the body ends after a boundary, without its closing '--'");
            }
            int next = findDelimiter(body, delim, p);
            if (next < 0) {
                throw new EnvelopeException("part " + (n + 1) + " is not closed by a boundary");
            }
            if (n == 2) {
                throw new EnvelopeException("the body has more than two parts; the MTP sends an envelope and a payload");
            }
            // The part ends before the line break that precedes the delimiter.
            int end = next;
            if (end > p && body[end - 1] == '\n') {
                end--;
                if (end > p && body[end - 1] == '\r') {
                    end--;
                }
            }
            HeadersEnd headersEnd = headersEnd(body, p, end);
            types[n] = contentTypeOf(new String(body, p, Math.max(0, headersEnd.start - p), StandardCharsets.ISO_8859_1));
            parts[n++] = Arrays.copyOfRange(body, headersEnd.bodyStart, Math.max(headersEnd.bodyStart, end));
            at = next;
        }
        if (n < 2) {
            throw new EnvelopeException("the body has " + n + " part(s); the MTP sends an envelope part and a payload part");
        }
        if (types[0] != null && !types[0].contains("xml")) {
            throw new EnvelopeException("the first part is '" + types[0] + "'; the MTP envelope is application/xml");
        }
        FipaEnvelope env = EnvelopeXml.read(parts[0]);
        byte[] payload = parts[1];
        Long len = env.payloadLength();
        if (len != null) {
            if (len > payload.length) {
                throw new EnvelopeException("payload-length says " + len + " bytes, the payload part holds "
                        + payload.length);
            }
            payload = Arrays.copyOf(payload, len.intValue());
        }
        return new Decoded(env, payload);
    }

    private record HeadersEnd(int start, int bodyStart) {
    }

    /** Where a part's headers end (a blank line) and its body starts; no headers when it starts blank. */
    private static HeadersEnd headersEnd(byte[] b, int from, int to) {
        if (from < to && b[from] == '\n') {
            return new HeadersEnd(from, from + 1);
        }
        if (from + 1 < to && b[from] == '\r' && b[from + 1] == '\n') {
            return new HeadersEnd(from, from + 2);
        }
        for (int i = from; i < to; i++) {
            if (b[i] == '\n') {
                int lineStart = i + 1;
                if (lineStart < to && b[lineStart] == '\n') {
                    return new HeadersEnd(i, lineStart + 1);
                }
                if (lineStart + 1 < to && b[lineStart] == '\r' && b[lineStart + 1] == '\n') {
                    return new HeadersEnd(i, lineStart + 2);
                }
            }
        }
        throw new EnvelopeException("a part has no blank line between its headers and its content");
    }

    private static String contentTypeOf(String headers) {
        for (String h : headers.split("\r?\n")) {
            int colon = h.indexOf(':');
            if (colon > 0 && h.substring(0, colon).strip().equalsIgnoreCase("content-type")) {
                return h.substring(colon + 1).strip().toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }

    private static int endOfLine(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\n') {
                return i + 1;
            }
        }
        return -1;
    }

    /** A delimiter at the start of the body or of a line. */
    private static int findDelimiter(byte[] b, byte[] d, int from) {
        outer:
        for (int i = from; i + d.length <= b.length; i++) {
            if (i > 0 && b[i - 1] != '\n') {
                continue;
            }
            for (int k = 0; k < d.length; k++) {
                if (b[i + k] != d[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
