package dev.caxton.runtime.routing;

import dev.caxton.spi.message.Envelope;

/** Hears of every message the router delivered, e.g. to record conversations. */
@FunctionalInterface
public interface RouteListener {

    /**
     * A message was handed to its receiver. Called on the routing thread: must be quick.
     *
     * @param delivered the message as delivered (for a broadcast, each copy)
     */
    void delivered(Envelope delivered);
}
