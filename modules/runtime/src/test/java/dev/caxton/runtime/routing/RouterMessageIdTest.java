package dev.caxton.runtime.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Node-made message ids are written straight into their bytes; they must stay exactly what the
 * documented format says: node name, start time and a random part (base 36), then a base-36 counter.
 */
class RouterMessageIdTest {

    @Test
    void theCounterIsWrittenAsLongToStringInBase36() {
        byte[] prefix = "node-1-mx1djyay-71w-".getBytes(StandardCharsets.ISO_8859_1);
        for (long n = 0; n < 200_000; n++) {
            assertThat(Router.messageId(prefix, n)).isEqualTo("node-1-mx1djyay-71w-" + Long.toString(n, 36));
        }
        long p = 1;
        for (int k = 1; k < 13; k++) {
            p *= 36;
            for (long n : List.of(p - 1, p, p + 1)) {
                assertThat(Router.messageId(prefix, n)).isEqualTo("node-1-mx1djyay-71w-" + Long.toString(n, 36));
            }
        }
        assertThat(Router.messageId(prefix, Long.MAX_VALUE))
                .isEqualTo("node-1-mx1djyay-71w-" + Long.toString(Long.MAX_VALUE, 36));
    }

    @Test
    void aRoutersIdsHaveTheDocumentedFormatAndAreDistinct() {
        try (Router a = Router.simple(new CapabilityDirectory(), (e, r) -> { }, "node-1");
             Router other = Router.simple(new CapabilityDirectory(), (e, r) -> { }, "n\u0153ud")) {
            Set<String> seen = new HashSet<>();
            for (Router r : List.of(a, other)) {
                for (int i = 1; i <= 1000; i++) {
                    String id = r.newMessageId();
                    assertThat(seen.add(id)).as(id).isTrue();
                    if (i == 1 || i == 1000) {
                        assertThat(id).endsWith("-" + Long.toString(i, 36));
                    }
                }
            }
            assertThat(a.newMessageId()).matches("node-1-[0-9a-z]+-[0-9a-z]{1,3}-[0-9a-z]+");
            // A node name outside Latin-1 takes the general path, with the same format.
            assertThat(other.newMessageId()).matches("n\u0153ud-[0-9a-z]+-[0-9a-z]{1,3}-rt");
        }
    }

    @Test
    void aClientNameIsTheClientPrefixAndAFreshIdOnBothPaths() {
        try (Router a = Router.simple(new CapabilityDirectory(), (e, r) -> { }, "node-1");
             Router other = Router.simple(new CapabilityDirectory(), (e, r) -> { }, "n\u0153ud")) {
            for (Router r : List.of(a, other)) {
                String id = r.newMessageId();
                String client = r.newClientName();
                String next = r.newMessageId();
                // One sequence for both: the client's name is the id that would have come next.
                String prefix = id.substring(0, id.lastIndexOf('-') + 1);
                long n = Long.parseLong(id.substring(prefix.length()), 36);
                assertThat(client).isEqualTo(ClientReplies.CLIENT_PREFIX + prefix + Long.toString(n + 1, 36));
                assertThat(next).isEqualTo(prefix + Long.toString(n + 2, 36));
            }
        }
    }
}
