package dev.caxton.fipa.acl;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One FIPA ACL message as the string representation carries it. Every parameter but the
 * performative may be absent (null, or an empty list).
 *
 * <p>Expressions ({@code reply-with}, {@code in-reply-to}, {@code language}, {@code encoding},
 * {@code ontology}, {@code conversation-id}, user-defined parameters) are kept as their text: a word
 * or a number as written, a string decoded, a nested expression as its source text. Printing picks
 * the word form when the text is a valid word and a quoted string otherwise, so a parsed message
 * prints back to one that parses to the same value.
 *
 * @param performative   the communicative act, lower case (e.g. {@code request})
 * @param sender         who sent it
 * @param receivers      who it is for
 * @param replyTo        where replies should go instead of the sender
 * @param content        the content, decoded
 * @param language       the content language
 * @param encoding       the content encoding
 * @param ontology       the ontology
 * @param protocol       the interaction protocol
 * @param conversationId the conversation
 * @param replyWith      the token a reply quotes in {@code in-reply-to}
 * @param inReplyTo      the token of the message answered
 * @param replyBy        the reply deadline
 * @param userParams     user-defined parameters, names as written (without the leading colon)
 */
public record AclMessage(String performative, Aid sender, List<Aid> receivers, List<Aid> replyTo,
                         String content, String language, String encoding, String ontology, String protocol,
                         String conversationId, String replyWith, String inReplyTo, Instant replyBy,
                         Map<String, String> userParams) {

    /** Normalises the performative and copies the collections. */
    public AclMessage {
        Objects.requireNonNull(performative, "performative");
        performative = performative.toLowerCase(java.util.Locale.ROOT);
        receivers = receivers == null ? List.of() : List.copyOf(receivers);
        replyTo = replyTo == null ? List.of() : List.copyOf(replyTo);
        userParams = userParams == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(userParams));
    }

    /** The performatives FIPA defines (SC00037), lower case. */
    public static final List<String> PERFORMATIVES = List.of("accept-proposal", "agree", "cancel", "cfp", "confirm",
            "disconfirm", "failure", "inform", "inform-if", "inform-ref", "not-understood", "propagate", "propose",
            "proxy", "query-if", "query-ref", "refuse", "reject-proposal", "request", "request-when",
            "request-whenever", "subscribe");
}
