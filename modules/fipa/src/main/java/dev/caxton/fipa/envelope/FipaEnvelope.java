package dev.caxton.fipa.envelope;

import dev.caxton.fipa.acl.Aid;

import java.time.Instant;
import java.util.List;

/**
 * The FIPA message transport envelope (SC00085): who the message is for and from at the transport
 * level, how its payload is represented, and the stamps of the platforms it passed. Absent fields are
 * null (or empty lists).
 *
 * @param to                 the receivers the sender addressed
 * @param from               the sending agent
 * @param comments           free text
 * @param aclRepresentation  the payload's representation, e.g. {@code fipa.acl.rep.string.std}
 * @param payloadLength      the payload's length in bytes, when given
 * @param payloadEncoding    the payload's character set, when given (e.g. {@code UTF-8})
 * @param date               when the envelope was made
 * @param intendedReceivers  who this copy is to be delivered to (overrides {@code to})
 * @param received           the stamps of the message transport services it passed, oldest first
 */
public record FipaEnvelope(List<Aid> to, Aid from, String comments, String aclRepresentation, Long payloadLength,
                           String payloadEncoding, Instant date, List<Aid> intendedReceivers,
                           List<Received> received) {

    /** The string representation's name in {@code acl-representation}. */
    public static final String STRING_REPRESENTATION = "fipa.acl.rep.string.std";

    /** Copies the lists. */
    public FipaEnvelope {
        to = to == null ? List.of() : List.copyOf(to);
        intendedReceivers = intendedReceivers == null ? List.of() : List.copyOf(intendedReceivers);
        received = received == null ? List.of() : List.copyOf(received);
    }

    /**
     * The receivers this copy is for: the intended receivers when given, {@code to} otherwise.
     *
     * @return the receivers
     */
    public List<Aid> deliverTo() {
        return intendedReceivers.isEmpty() ? to : intendedReceivers;
    }

    /**
     * A transport stamp ({@code received}): which MTS took the message, when, under which id.
     *
     * @param by   the receiving MTS address
     * @param from the address it came from, or null
     * @param date when it was received, or null
     * @param id   its id there, or null
     * @param via  the transport used, or null
     */
    public record Received(String by, String from, Instant date, String id, String via) {
    }
}
