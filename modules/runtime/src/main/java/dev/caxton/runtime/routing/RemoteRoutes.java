package dev.caxton.runtime.routing;

import dev.caxton.runtime.api.SendStatus;
import dev.caxton.spi.message.Envelope;

import java.util.List;

/**
 * What the router asks of the cluster for names and capabilities this node does not hold. The
 * router always tries local agents first; only a name no local recipient answers to is looked up
 * here.
 */
public interface RemoteRoutes {

    /** An agent on another node. @param agent its name @param node the node hosting it */
    record Holder(String agent, String node) {
    }

    /**
     * The node hosting a name: an agent in the cluster directory, or the node a remote sender (an
     * API client waiting there, say) wrote from.
     *
     * @param name the receiver name
     * @return the node id, or null when no other node is known to host it
     */
    String nodeOf(String name);

    /**
     * The holders of a capability on other nodes.
     *
     * @param capability the capability
     * @return the holders, empty when none
     */
    List<Holder> holders(String capability);

    /**
     * A round-robin counter per capability, shared by local and remote holders.
     *
     * @param capability the capability
     * @return the next index (any int; the router reduces it)
     */
    int next(String capability);

    /** @return {@code messaging.prefer_local_capability} */
    boolean preferLocal();

    /**
     * Hands a message to another node. Never throws for delivery problems: what cannot be delivered
     * within {@code messaging.delivery_timeout} is dead-lettered with the reason.
     *
     * @param node the node
     * @param e    the message, its receiver set
     */
    void forward(String node, Envelope e);

    /**
     * Why another node refused a message.
     *
     * @param status the refusal ({@link SendStatus#QUEUE_FULL} for a full mailbox)
     * @param reason a sentence for the sender
     */
    record Refusal(SendStatus status, String reason) {
    }

    /**
     * Sends a message to an agent on another node and waits, for a short bounded time, for that
     * node to take it into the agent's mailbox or refuse it. When the wait ends without an answer
     * (or cannot start), the message is on its way as with {@link #forward} and null is returned.
     *
     * @param node the node
     * @param e    the message, its receiver set
     * @return the refusal, or null when accepted (or not answered in time)
     */
    default Refusal forwardConfirmed(String node, Envelope e) {
        forward(node, e);
        return null;
    }
}
