package dev.caxton.runtime.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Message ids are the node's prefix and a counter in base 36, written without
 * {@code Long.toString}'s scratch array: the text must be exactly what {@code prefix +
 * Long.toString(n, 36)} gives, across every change in the number of digits, for a node name of
 * Latin-1 characters and for one beyond it.
 */
class RouterMessageIdTest {

    private static Router router(String nodeName) {
        return new Router(new CapabilityDirectory(), (e, reason) -> { }, nodeName,
                new RetryPolicy(0, Duration.ofMillis(1), 1, Duration.ZERO), new QueueBudget(Long.MAX_VALUE), e -> { });
    }

    @Test
    void idsArePrefixAndCounterInBase36() {
        for (String name : new String[] {"n1", "nöde", "узел-ł"}) {
            Router r = router(name);
            try {
                String first = r.newMessageId();
                assertThat(first).startsWith(name + "-").endsWith("-1");
                String prefix = first.substring(0, first.length() - 1);
                // Past 36, 36^2 and 36^3: one, two, three and four digits.
                for (long n = 2; n <= 50_000; n++) {
                    assertThat(r.newMessageId()).isEqualTo(prefix + Long.toString(n, 36));
                }
            } finally {
                r.close();
            }
        }
    }
}
