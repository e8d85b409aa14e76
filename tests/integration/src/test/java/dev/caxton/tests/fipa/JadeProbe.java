package dev.caxton.tests.fipa;

import jade.core.AID;
import jade.core.Agent;
import jade.core.behaviours.OneShotBehaviour;
import jade.lang.acl.ACLMessage;
import jade.lang.acl.MessageTemplate;

/**
 * A JADE agent (test only) that sends one message to a Caxton agent and prints the answer. What it
 * sends and where come from system properties {@code probe.<localname>.*} so the JADE command line
 * stays free of quoting: {@code to} (the receiver's full name), {@code performative}, {@code content},
 * {@code language}. The Caxton platform's MTP address is {@code caxton.mtp}.
 *
 * <p>Every message is printed with {@code ACLMessage.toString()} between markers, which gives the
 * test a corpus of messages printed by JADE itself.
 */
public class JadeProbe extends Agent {

    static synchronized void print(String tag, ACLMessage m) {
        System.out.println(tag + " " + ACLMessage.getPerformative(m.getPerformative()) + " from "
                + (m.getSender() == null ? "?" : m.getSender().getName()) + " content=" + m.getContent());
        System.out.println("ACL>>" + m + "<<ACL");
        System.out.flush();
    }

    /** Payloads are US-ASCII in JADE unless the envelope says otherwise. */
    static void utf8(ACLMessage m) {
        m.setDefaultEnvelope();
        m.getEnvelope().setPayloadEncoding("UTF-8");
    }

    static AID caxtonAgent(String fullName) {
        AID a = new AID(fullName, AID.ISGUID);
        a.addAddresses(System.getProperty("caxton.mtp"));
        return a;
    }

    @Override
    protected void setup() {
        String p = "probe." + getLocalName() + ".";
        ACLMessage m = new ACLMessage(ACLMessage.getInteger(System.getProperty(p + "performative", "REQUEST")));
        m.addReceiver(caxtonAgent(System.getProperty(p + "to")));
        m.setContent(System.getProperty(p + "content", "hello"));
        if (System.getProperty(p + "language") != null) {
            m.setLanguage(System.getProperty(p + "language"));
        }
        m.setConversationId("conv-" + getLocalName());
        m.setReplyWith("rw-" + getLocalName());
        m.setProtocol("fipa-request");
        utf8(m);
        addBehaviour(new OneShotBehaviour(this) {
            @Override
            public void action() {
                send(m);
                print("PROBE-SENT " + getLocalName(), m);
                ACLMessage reply = blockingReceive(MessageTemplate.MatchConversationId("conv-" + getLocalName()), 60_000);
                if (reply == null) {
                    System.out.println("PROBE-NOREPLY " + getLocalName());
                } else {
                    print("PROBE-REPLY " + getLocalName(), reply);
                }
                System.out.flush();
            }
        });
    }
}
