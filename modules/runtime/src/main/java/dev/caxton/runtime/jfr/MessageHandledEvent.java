package dev.caxton.runtime.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One message handled by an agent, as a Flight Recorder event: its duration is the time the agent
 * spent on it (encoding, the guest call, the reply), so JDK Mission Control can chart which agents
 * the node's time goes to.
 *
 * <p>Created for every message but committed only while a recording enables it: with no recording,
 * {@link #shouldCommit()} is false after one volatile read, the fields are never filled, and the JIT
 * removes the allocation. No stack trace is taken: the guest's frames mean nothing in Java terms.
 */
@Name(MessageHandledEvent.NAME)
@Label("Message Handled")
@Category({"Caxton", "Messaging"})
@Description("A message handled by an agent; the duration is the time spent handling it")
@StackTrace(false)
public final class MessageHandledEvent extends Event {

    /** The event's name in recordings. */
    public static final String NAME = "dev.caxton.MessageHandled";

    @Label("Agent")
    String agent;

    @Label("Message Id")
    String messageId;

    @Label("Fuel Used")
    @Description("Fuel the call used, or -1 when the agent is unmetered or the call did not finish")
    long fuel;

    /**
     * Fills the fields and commits, if a recording wants the event (the duration must have ended).
     *
     * @param agent     the agent's name
     * @param messageId the message's id
     * @param fuel      the fuel used, -1 when unknown
     */
    public void commit(String agent, String messageId, long fuel) {
        if (shouldCommit()) {
            this.agent = agent;
            this.messageId = messageId;
            this.fuel = fuel;
            commit();
        }
    }
}
