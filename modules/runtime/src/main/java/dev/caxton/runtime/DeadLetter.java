package dev.caxton.runtime;

import dev.caxton.spi.message.Envelope;

import java.time.Instant;

/**
 * A dead letter as the API shows it.
 *
 * @param id       its id (the message id)
 * @param receiver who it was for
 * @param reason   why it could not be delivered or processed
 * @param at       when it died
 * @param envelope the message, or null when its stored bytes could not be decoded
 */
public record DeadLetter(String id, String receiver, String reason, Instant at, Envelope envelope) {
}
