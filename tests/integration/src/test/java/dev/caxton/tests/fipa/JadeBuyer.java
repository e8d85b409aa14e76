package dev.caxton.tests.fipa;

import jade.core.Agent;
import jade.core.behaviours.OneShotBehaviour;
import jade.lang.acl.ACLMessage;
import jade.lang.acl.MessageTemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JADE Contract-Net initiator (test only) buying from Caxton sellers named in the system property
 * {@code buyer.sellers} (comma-separated full names): a cfp to each, the cheapest proposal accepted,
 * the others rejected, and the winner's inform awaited. Prints {@code BUYER-WINNER name price} and
 * {@code BUYER-DONE content}.
 */
public class JadeBuyer extends Agent {

    private static final Pattern PRICE = Pattern.compile("\"price\"\\s*:\\s*(\\d+)");

    @Override
    protected void setup() {
        String[] sellers = System.getProperty("buyer.sellers").split(",");
        addBehaviour(new OneShotBehaviour(this) {
            @Override
            public void action() {
                ACLMessage cfp = new ACLMessage(ACLMessage.CFP);
                for (String s : sellers) {
                    cfp.addReceiver(JadeProbe.caxtonAgent(s));
                }
                cfp.setProtocol("fipa-contract-net");
                cfp.setConversationId("cn-jade");
                cfp.setReplyWith("cfp-1");
                cfp.setLanguage("application/json");
                cfp.setContent("{\"item\":\"widget\"}");
                JadeProbe.utf8(cfp);
                send(cfp);
                List<ACLMessage> proposals = new ArrayList<>();
                long deadline = System.currentTimeMillis() + 60_000;
                while (proposals.size() < sellers.length && System.currentTimeMillis() < deadline) {
                    ACLMessage in = blockingReceive(MessageTemplate.MatchConversationId("cn-jade"), 5_000);
                    if (in != null) {
                        JadeProbe.print("BUYER-GOT", in);
                        if (in.getPerformative() == ACLMessage.PROPOSE) {
                            proposals.add(in);
                        }
                    }
                }
                ACLMessage best = null;
                int bestPrice = Integer.MAX_VALUE;
                for (ACLMessage p : proposals) {
                    Matcher m = PRICE.matcher(p.getContent());
                    if (m.find() && Integer.parseInt(m.group(1)) < bestPrice) {
                        bestPrice = Integer.parseInt(m.group(1));
                        best = p;
                    }
                }
                if (best == null) {
                    System.out.println("BUYER-FAILED " + proposals.size() + " proposals");
                    return;
                }
                for (ACLMessage p : proposals) {
                    ACLMessage answer = p.createReply();
                    answer.setPerformative(p == best ? ACLMessage.ACCEPT_PROPOSAL : ACLMessage.REJECT_PROPOSAL);
                    answer.setLanguage("application/json");
                    answer.setContent("{\"item\":\"widget\"}");
                    JadeProbe.utf8(answer);
                    send(answer);
                }
                System.out.println("BUYER-WINNER " + best.getSender().getName() + " " + bestPrice);
                ACLMessage done = blockingReceive(MessageTemplate.and(MessageTemplate.MatchConversationId("cn-jade"),
                        MessageTemplate.MatchPerformative(ACLMessage.INFORM)), 60_000);
                System.out.println(done == null ? "BUYER-NOINFORM" : "BUYER-DONE " + done.getContent());
                System.out.flush();
            }
        });
    }
}
