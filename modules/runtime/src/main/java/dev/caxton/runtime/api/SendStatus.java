package dev.caxton.runtime.api;

/**
 * The outcome of handing a message to the router, with the code the guest ABI gives an agent's
 * {@code send_message} and the HTTP status the management API answers with.
 */
public enum SendStatus {
    /** Queued for delivery. */
    ACCEPTED(0, 202),
    /** Not a valid envelope. */
    MALFORMED(-1, 400),
    /** No agent of that name, or nobody holds that capability. */
    UNKNOWN_RECEIVER(-2, 404),
    /** The receiver's mailbox is full: back-pressure. */
    QUEUE_FULL(-3, 429),
    /** The sender may not send this (e.g. it claims another sender). */
    NOT_PERMITTED(-4, 403),
    /** Larger than {@code messaging.max_message_size}. */
    TOO_LARGE(-5, 413);

    private final int abiCode;
    private final int httpStatus;

    SendStatus(int abiCode, int httpStatus) {
        this.abiCode = abiCode;
        this.httpStatus = httpStatus;
    }

    /** @return the value {@code send_message} returns to the guest */
    public int abiCode() {
        return abiCode;
    }

    /** @return the HTTP status the API answers with */
    public int httpStatus() {
        return httpStatus;
    }
}
