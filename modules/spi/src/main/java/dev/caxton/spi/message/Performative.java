package dev.caxton.spi.message;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The 22 communicative acts of the FIPA ACL specification (SC00037J). Each has a wire spelling,
 * lowercase with hyphens, which is the only form that appears in envelopes.
 */
public enum Performative {
    /** Accepts a previously submitted proposal. */
    ACCEPT_PROPOSAL("accept-proposal"),
    /** Agrees to perform a requested action. */
    AGREE("agree"),
    /** Cancels a previously requested action. */
    CANCEL("cancel"),
    /** Calls for proposals to perform an action. */
    CFP("cfp"),
    /** Confirms that a proposition is true. */
    CONFIRM("confirm"),
    /** Says that a proposition the receiver believed true is false. */
    DISCONFIRM("disconfirm"),
    /** Reports that an attempted action failed. */
    FAILURE("failure"),
    /** Tells the receiver that a proposition is true. */
    INFORM("inform"),
    /** Asks the receiver to inform whether a proposition is true. */
    INFORM_IF("inform-if"),
    /** Asks the receiver to inform the object that corresponds to a descriptor. */
    INFORM_REF("inform-ref"),
    /** Says the sender did not understand the receiver's last message. */
    NOT_UNDERSTOOD("not-understood"),
    /** Asks the receiver to pass a message on to agents matching a description. */
    PROPAGATE("propagate"),
    /** Submits a proposal to perform an action. */
    PROPOSE("propose"),
    /** Asks the receiver to forward a message to agents matching a description. */
    PROXY("proxy"),
    /** Asks whether a proposition is true. */
    QUERY_IF("query-if"),
    /** Asks for the object a referential expression refers to. */
    QUERY_REF("query-ref"),
    /** Refuses to perform an action, giving the reason. */
    REFUSE("refuse"),
    /** Rejects a proposal during a negotiation. */
    REJECT_PROPOSAL("reject-proposal"),
    /** Asks the receiver to perform an action. */
    REQUEST("request"),
    /** Asks the receiver to perform an action when a proposition becomes true. */
    REQUEST_WHEN("request-when"),
    /** Asks the receiver to perform an action each time a proposition becomes true. */
    REQUEST_WHENEVER("request-whenever"),
    /** Asks to be notified whenever the object a reference identifies changes. */
    SUBSCRIBE("subscribe");

    private static final Map<String, Performative> BY_WIRE = new HashMap<>();

    static {
        for (Performative p : values()) {
            BY_WIRE.put(p.wire, p);
        }
    }

    private final String wire;

    Performative(String wire) {
        this.wire = wire;
    }

    /**
     * The spelling used in envelopes.
     *
     * @return e.g. {@code "accept-proposal"}
     */
    public String wireName() {
        return wire;
    }

    /**
     * Looks a performative up by its wire spelling (exact, case-sensitive).
     *
     * @param wire the spelling
     * @return the performative, or empty when the word is not one of the 22
     */
    public static Optional<Performative> fromWire(String wire) {
        return Optional.ofNullable(BY_WIRE.get(wire));
    }

    @Override
    public String toString() {
        return wire;
    }
}
