package dev.caxton.tests.fipa;

import jade.core.Agent;
import jade.core.behaviours.CyclicBehaviour;
import jade.lang.acl.ACLMessage;

/** A JADE agent (test only) that answers every REQUEST with an INFORM carrying the same content. */
public class JadeEcho extends Agent {

    @Override
    protected void setup() {
        addBehaviour(new CyclicBehaviour(this) {
            @Override
            public void action() {
                ACLMessage in = receive();
                if (in == null) {
                    block();
                    return;
                }
                JadeProbe.print("ECHO-GOT", in);
                if (in.getPerformative() != ACLMessage.REQUEST) {
                    return;
                }
                ACLMessage reply = in.createReply();
                reply.setPerformative(ACLMessage.INFORM);
                reply.setContent(in.getContent());
                JadeProbe.utf8(reply);
                send(reply);
            }
        });
    }
}
