package dev.caxton.runtime.metrics;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The node's own dead-letter texts (as the router, agents and cluster write them) sort into their categories. */
class DeadLetterReasonTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "hop limit exceeded: 9 > messaging.max_hops 8|hop_limit",
            "ttl expired: waited 31000ms in the mailbox of 'a' (messaging.message_ttl 30000ms)|ttl_expired",
            "ttl expired: node B did not confirm it within 30s|ttl_expired",
            "late reply: arrived after reply_by 1700000000000|ttl_expired",
            "delivery timed out: the mailbox of 'a' stayed full for 5000ms|queue_full",
            "retries exhausted: 3 retries, the mailbox of 'a' is full|queue_full",
            "the node's queue is full (messaging.queue_size 10000)|queue_full",
            "node unreachable: B|node_unreachable",
            "node dead: B|node_unreachable",
            "refused by node A: no agent named 'x' (and the sender was unreachable)|node_unreachable",
            "no agent named 'ghost'|unknown_receiver",
            "no agent holds capability 'nothing'|unknown_receiver",
            "agent 'x' is not deployed on this node after its restart|unknown_receiver",
            "agent 'x' failed (last fault: trap: unreachable)|fault",
            "message of 2000000 bytes exceeds messaging.max_message_size (1048576 bytes)|other",
            "cannot encode for the agent: bad|other",
    })
    void theNodesTextsSortIntoTheirCategory(String text, String category) {
        assertThat(DeadLetterReason.classify(text).label()).isEqualTo(category);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"trap: unreachable", "''"})
    void aTextNobodyForesawIsOther(String text) {
        assertThat(DeadLetterReason.classify(text)).isEqualTo(DeadLetterReason.OTHER);
        assertThat(DeadLetterReason.classify(null)).isEqualTo(DeadLetterReason.OTHER);
    }
}
