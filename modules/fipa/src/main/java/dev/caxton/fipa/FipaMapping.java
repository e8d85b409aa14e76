package dev.caxton.fipa;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caxton.fipa.acl.AclMessage;
import dev.caxton.fipa.acl.Aid;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The field-by-field mapping between a FIPA ACL message and a Caxton envelope (docs/fipa-interop.md
 * lists it with what each direction loses).
 *
 * <p>Content: ACL content is text, Caxton content a JSON-like value. Text travels as a string both
 * ways. When the ACL {@code :language} is {@value #JSON_LANGUAGE}, the text is parsed as JSON on the
 * way in (a string when it is not valid JSON), and a Caxton value that is not a string is written as
 * JSON on the way out, with that language unless the envelope names another.
 *
 * <p>Caxton-only fields cross as user-defined parameters, so two Caxton nodes talking over the MTP
 * keep them: {@value #HOPS} (so loops across platforms still end) and {@value #TRACEPARENT}.
 */
public final class FipaMapping {

    /** The content language under which content is JSON. */
    public static final String JSON_LANGUAGE = "application/json";
    /** User-defined parameter carrying the hop count. */
    public static final String HOPS = "X-caxton-hops";
    /** User-defined parameter carrying the W3C traceparent. */
    public static final String TRACEPARENT = "X-caxton-traceparent";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private FipaMapping() {
    }

    /**
     * A Caxton envelope for one local receiver of an incoming ACL message.
     *
     * @param m        the message
     * @param receiver the local agent (or waiting client) name
     * @return the envelope; its message id is left for the node to assign
     */
    public static Envelope toCaxton(AclMessage m, String receiver) {
        Performative p = Performative.fromWire(m.performative())
                .orElseThrow(() -> new IllegalArgumentException("unknown performative " + m.performative()));
        return Envelope.builder(p)
                .sender(m.sender() == null ? null : m.sender().name())
                .receiver(receiver)
                .content(contentIn(m.content(), m.language()))
                .language(m.language())
                .ontology(m.ontology())
                .protocol(m.protocol())
                .conversationId(m.conversationId())
                .replyWith(m.replyWith())
                .inReplyTo(m.inReplyTo())
                .replyBy(m.replyBy() == null ? null : m.replyBy().toEpochMilli())
                .hops(hops(m.userParams().get(HOPS)))
                .traceparent(traceparent(m.userParams().get(TRACEPARENT)))
                .build();
    }

    /**
     * The ACL message for a Caxton envelope going to another platform.
     *
     * @param e        the envelope
     * @param sender   the sender's identifier (with this platform's MTP address)
     * @param receiver the receiver's identifier
     * @return the message
     */
    public static AclMessage toAcl(Envelope e, Aid sender, Aid receiver) {
        String language = e.language();
        String content;
        if (e.content() == null || e.content() instanceof String) {
            content = (String) e.content();
        } else {
            try {
                content = JSON.writeValueAsString(e.content());
            } catch (JsonProcessingException ex) {
                throw new IllegalArgumentException("content cannot be written as JSON: " + ex.getOriginalMessage(), ex);
            }
            if (language == null) {
                language = JSON_LANGUAGE;
            }
        }
        Map<String, String> user = new LinkedHashMap<>();
        if (e.hops() > 0) {
            user.put(HOPS, Integer.toString(e.hops()));
        }
        if (e.traceparent() != null) {
            user.put(TRACEPARENT, e.traceparent());
        }
        return new AclMessage(e.performative().wireName(), sender, List.of(receiver), List.of(), content, language,
                null, e.ontology(), e.protocol(), e.conversationId(), e.replyWith(), e.inReplyTo(),
                e.replyBy() == null ? null : Instant.ofEpochMilli(e.replyBy()), user);
    }

    static Object contentIn(String content, String language) {
        if (content == null || !JSON_LANGUAGE.equalsIgnoreCase(language)) {
            return content;
        }
        try {
            return JSON.readValue(content, Object.class);
        } catch (JsonProcessingException ex) {
            return content;
        }
    }

    private static int hops(String v) {
        if (v == null) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(v.strip()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String traceparent(String v) {
        return v != null && v.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}") ? v : null;
    }
}
