package dev.caxton.runtime.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * An agent fault (trap, time-out, fuel exhausted, bad pointer) as a Flight Recorder event, so a
 * recording shows faults on the same timeline as GC pauses and message handling.
 */
@Name(AgentFaultEvent.NAME)
@Label("Agent Fault")
@Category({"Caxton", "Agents"})
@Description("An agent invocation ended in a fault; the message was dead-lettered and the instance replaced")
@StackTrace(false)
public final class AgentFaultEvent extends Event {

    /** The event's name in recordings. */
    public static final String NAME = "dev.caxton.AgentFault";

    @Label("Agent")
    String agent;

    @Label("Message Id")
    String messageId;

    @Label("Reason")
    String reason;

    /**
     * Records a fault if a recording wants it; costs one check otherwise.
     *
     * @param agent     the agent's name
     * @param messageId the id of the message being handled
     * @param reason    the fault as the node reports it
     */
    public static void emit(String agent, String messageId, String reason) {
        AgentFaultEvent e = new AgentFaultEvent();
        if (e.shouldCommit()) {
            e.agent = agent;
            e.messageId = messageId;
            e.reason = reason;
            e.commit();
        }
    }
}
