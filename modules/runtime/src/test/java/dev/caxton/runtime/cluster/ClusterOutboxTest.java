package dev.caxton.runtime.cluster;

import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.durability.CommitQueue;
import dev.caxton.runtime.durability.Ledger;
import dev.caxton.runtime.durability.RecordingStorage;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.spi.storage.StorageWrite;
import dev.caxton.spi.storage.StoredMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The bookkeeping of messages for other nodes, without a transport (links that never send). */
class ClusterOutboxTest {

    private final RecordingStorage storage = new RecordingStorage();
    private final CommitQueue commits = new CommitQueue(storage::apply, 100, Duration.ZERO);
    private final Ledger ledger = new Ledger(storage, commits, new JsonWire(), Duration.ofMinutes(10), Clock.systemUTC());
    private final List<String> dead = new ArrayList<>();
    private final PeerLinks links = new PeerLinks();

    @AfterEach
    void close() {
        commits.close();
        links.close();
    }

    private ClusterOutbox outbox(Duration ttl) {
        return new ClusterOutbox(ledger, links, new JsonWire(), (e, reason) -> dead.add(e.messageId() + ": " + reason),
                ttl, 10);
    }

    private static StoredMessage entry(String node, String agent, String id, Instant at) {
        Envelope e = Envelope.builder(Performative.INFORM).sender("x").receiver(agent).messageId(id).build();
        return new StoredMessage(id, ClusterOutbox.key(node, agent), new JsonWire().encode(e), "", 0, at);
    }

    private List<StorageWrite> written() throws Exception {
        ledger.sync().get(30, TimeUnit.SECONDS);
        return storage.all();
    }

    @Test
    void onlyTheNodeAMessageWentToMayConfirmIt() throws Exception {
        ClusterOutbox o = outbox(Duration.ofMinutes(5));
        o.recover(entry("B", "b1", "m-9", Instant.now()));

        o.onStored("C", ByteBuffer.wrap(ClusterOutbox.storedFrame("b1", "m-9"), 1, 2 + 2 + 2 + 3));
        assertThat(o.size()).isEqualTo(1);
        assertThat(written()).isEmpty();

        o.onStored("B", ByteBuffer.wrap(ClusterOutbox.storedFrame("b1", "m-9"), 1, 2 + 2 + 2 + 3));
        assertThat(o.size()).isZero();
        assertThat(written()).containsExactly(new StorageWrite.OutboxRemove("@B/b1", "m-9"));
    }

    @Test
    void aFullMailboxThereKeepsTheMessageAndAnUnknownReceiverEndsIt() throws Exception {
        ClusterOutbox o = outbox(Duration.ofMinutes(5));
        o.recover(entry("B", "b1", "m-1", Instant.now()));
        Envelope e = Envelope.builder(Performative.INFORM).sender("x").receiver("b1").messageId("m-1").build();

        assertThat(o.onRefused("B", e, SendStatus.QUEUE_FULL, "full")).isTrue();
        assertThat(o.size()).isEqualTo(1);
        assertThat(o.onRefused("B", e, SendStatus.UNKNOWN_RECEIVER, "no agent named 'b1'")).isTrue();
        assertThat(o.size()).isZero();
        assertThat(dead).containsExactly("m-1: refused by node B: no agent named 'b1'");
        assertThat(written()).containsExactly(new StorageWrite.OutboxRemove("@B/b1", "m-1"));
        assertThat(o.onRefused("B", e, SendStatus.UNKNOWN_RECEIVER, "again")).as("not ours any more").isFalse();
    }

    @Test
    void aMessageNotConfirmedWithinTheTtlIsDeadLetteredAndRemoved() throws Exception {
        ClusterOutbox o = outbox(Duration.ofMinutes(5));
        o.recover(entry("B", "b1", "old", Instant.now().minus(Duration.ofMinutes(6))));
        o.recover(entry("B", "b1", "young", Instant.now()));

        o.sweep();

        assertThat(o.size()).isEqualTo(1);
        assertThat(dead).singleElement().asString().startsWith("old: ttl expired: node B did not confirm it");
        assertThat(written()).containsExactly(new StorageWrite.OutboxRemove("@B/b1", "old"));
    }

    @Test
    void malformedConfirmationsAreRejectedNotTrusted() {
        ClusterOutbox o = outbox(Duration.ofMinutes(5));
        o.recover(entry("B", "b1", "m-1", Instant.now()));
        o.onStored("B", ByteBuffer.wrap(new byte[] {0, 5, 'b'}));
        o.onStored("B", ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3, 4}));
        assertThat(o.size()).isEqualTo(1);
        assertThat(links.rejectedCount()).isEqualTo(2);
    }

    @Test
    void messagesForAnUnreachableNodeAreBoundedByTheQueueSize() throws Exception {
        try (var transport = new dev.caxton.testkit.transport.InMemoryTransportProvider().create(
                new dev.caxton.spi.ProviderContext(dev.caxton.spi.ProviderConfig.of("transport.memory", java.util.Map.of()),
                        java.nio.file.Path.of("."), "A"))) {
            links.attach(transport);
            ClusterOutbox o = outbox(Duration.ofMinutes(5));
            for (int i = 0; i < 10; i++) {
                assertThat(o.offer("B", Envelope.builder(Performative.INFORM).sender("x").receiver("b1")
                        .messageId("m-" + i).build())).isNull();
            }
            String refused = o.offer("B", Envelope.builder(Performative.INFORM).sender("x").receiver("b1")
                    .messageId("m-10").build());
            assertThat(refused).contains("queue is full");
            assertThat(o.size()).isEqualTo(10);
            // At capacity even a message kept already is refused again: nothing is counted twice.
            assertThat(o.offer("B", Envelope.builder(Performative.INFORM).sender("x").receiver("b1")
                    .messageId("m-3").build())).contains("queue is full");
        }
    }

    @Test
    void outboxKeysTellNodesApartFromLocalAgents() {
        assertThat(ClusterOutbox.isRemote("@B/b1")).isTrue();
        assertThat(ClusterOutbox.isRemote("b1")).isFalse();
        assertThat(ClusterOutbox.isRemote("@/b1")).isFalse();
    }
}
