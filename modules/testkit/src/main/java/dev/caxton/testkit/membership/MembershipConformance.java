package dev.caxton.testkit.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.fail;

import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.membership.Member;
import dev.caxton.spi.membership.MemberState;
import dev.caxton.spi.membership.Membership;
import dev.caxton.spi.membership.MembershipEvent;
import dev.caxton.spi.membership.MembershipProvider;
import dev.caxton.spi.membership.NodeId;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link MembershipProvider} must do for a node that is alone in its cluster, whoever
 * wrote it. A provider's test extends this class:
 *
 * <pre>{@code
 * class MyMembershipTest extends MembershipConformance {
 *     protected MembershipProvider provider() { return new MyMembershipProvider(); }
 * }
 * }</pre>
 *
 * <p>Providers may deliver events on their own threads, so the suite waits for each expected event
 * (up to {@link #eventTimeout()}) instead of expecting it before {@code join} returns. It also
 * checks that one listener is never called by two threads at once.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public abstract class MembershipConformance {

    /** The data directory of the current test. */
    @TempDir
    protected Path dataDir;

    /** The membership created before each test and closed after it. */
    protected Membership membership;

    /** Every event delivered to the test's listener, in delivery order. */
    protected final BlockingQueue<MembershipEvent> events = new LinkedBlockingQueue<>();

    private final AtomicInteger listenersInside = new AtomicInteger();
    private volatile boolean overlapSeen;

    /**
     * The provider under test. Called more than once; may return a new instance each time.
     *
     * @return the provider
     */
    protected abstract MembershipProvider provider();

    /**
     * The configuration section for a node that is alone in its cluster. The default is an empty
     * section under {@code coordination.cluster.<name>}.
     *
     * @param dataDir the data directory of the test
     * @return the section
     */
    protected ProviderConfig config(Path dataDir) {
        return ProviderConfig.of("coordination.cluster." + provider().name(), Map.of());
    }

    /**
     * This node as the test joins it. Providers that bind the address may override this to pick a
     * free port.
     *
     * @return the node
     */
    protected Member self() {
        return new Member(new NodeId("conformance-node"), new InetSocketAddress("127.0.0.1", 17946), MemberState.ALIVE,
                0, Map.of("role", "test"));
    }

    /**
     * How long to wait for an event the provider owes.
     *
     * @return the wait
     */
    protected Duration eventTimeout() {
        return Duration.ofSeconds(10);
    }

    /** Creates the membership for the test. */
    @BeforeEach
    void createMembership() {
        membership = provider().create(new ProviderContext(config(dataDir), dataDir, self().id().value()));
    }

    /** Closes the membership of the test and checks no listener call overlapped another. */
    @AfterEach
    void closeMembership() {
        if (membership != null) {
            membership.close();
        }
        assertThat(overlapSeen).as("the listener was called by two threads at once").isFalse();
    }

    /** Joins {@link #self()} with a listener that records events into {@link #events}. */
    protected void join() {
        membership.join(self(), event -> {
            if (listenersInside.incrementAndGet() > 1) {
                overlapSeen = true;
            }
            try {
                events.add(event);
            } finally {
                listenersInside.decrementAndGet();
            }
        });
    }

    /**
     * Waits for the first event (skipping others) that matches.
     *
     * @param what describes the event for the failure message
     * @param test what to wait for
     * @return the event
     * @throws InterruptedException when interrupted
     */
    protected MembershipEvent await(String what, Predicate<MembershipEvent> test) throws InterruptedException {
        long deadline = System.nanoTime() + eventTimeout().toNanos();
        for (long left = eventTimeout().toNanos(); left > 0; left = deadline - System.nanoTime()) {
            MembershipEvent e = events.poll(left, TimeUnit.NANOSECONDS);
            if (e != null && test.test(e)) {
                return e;
            }
        }
        return fail("no " + what + " event within " + eventTimeout());
    }

    private boolean isSelf(MembershipEvent e) {
        return e.member().id().equals(self().id());
    }

    @Test
    void providerHasAValidNameAndDeclaresOptionsWithDescriptions() {
        MembershipProvider p = provider();
        assertThat(p.name()).matches("[a-z0-9-]+");
        Set<String> keys = new HashSet<>();
        for (ConfigOption option : p.options()) {
            assertThat(option.key()).as("option key").matches("[a-z0-9_]+");
            assertThat(keys.add(option.key())).as("option %s declared once", option.key()).isTrue();
            assertThat(option.description()).as("description of %s", option.key()).isNotBlank();
        }
    }

    @Test
    void joinAnnouncesThisNode() throws InterruptedException {
        join();
        MembershipEvent joined = await("JOINED for self",
                e -> e.type() == MembershipEvent.Type.JOINED && isSelf(e));
        assertThat(joined.member().state()).isEqualTo(MemberState.ALIVE);
        assertThat(joined.member().address()).isEqualTo(self().address());
        assertThat(joined.member().metadata()).isEqualTo(self().metadata());
    }

    @Test
    void membersContainsThisNodeAliveOnceJoined() throws InterruptedException {
        join();
        await("JOINED for self", e -> e.type() == MembershipEvent.Type.JOINED && isSelf(e));
        assertThat(membership.members()).filteredOn(m -> m.id().equals(self().id())).singleElement()
                .satisfies(m -> {
                    assertThat(m.state()).isEqualTo(MemberState.ALIVE);
                    assertThat(m.address()).isEqualTo(self().address());
                    assertThat(m.metadata()).isEqualTo(self().metadata());
                });
    }

    @Test
    void updateMetadataIsAnnouncedAndVisibleInMembers() throws InterruptedException {
        join();
        await("JOINED for self", e -> e.type() == MembershipEvent.Type.JOINED && isSelf(e));
        Map<String, String> metadata = Map.of("capabilities", "math,greeter", "zone", "eu-1");
        membership.updateMetadata(metadata);

        MembershipEvent updated = await("UPDATED for self",
                e -> e.type() == MembershipEvent.Type.UPDATED && isSelf(e));
        assertThat(updated.member().metadata()).isEqualTo(metadata);
        assertThat(membership.members()).filteredOn(m -> m.id().equals(self().id())).singleElement()
                .satisfies(m -> assertThat(m.metadata()).isEqualTo(metadata));
    }

    @Test
    void leaveIsAnnounced() throws InterruptedException {
        join();
        await("JOINED for self", e -> e.type() == MembershipEvent.Type.JOINED && isSelf(e));
        membership.leave();
        MembershipEvent left = await("LEFT for self", e -> e.type() == MembershipEvent.Type.LEFT && isSelf(e));
        assertThat(left.member().state()).isEqualTo(MemberState.LEFT);
    }

    @Test
    void closeLeavesAndIsIdempotent() throws InterruptedException {
        join();
        await("JOINED for self", e -> e.type() == MembershipEvent.Type.JOINED && isSelf(e));
        membership.close();
        await("LEFT for self on close", e -> e.type() == MembershipEvent.Type.LEFT && isSelf(e));
        assertThatCode(membership::close).doesNotThrowAnyException();
    }

    @Test
    void closeWithoutJoinIsHarmless() {
        assertThatCode(membership::close).doesNotThrowAnyException();
        assertThatCode(membership::close).doesNotThrowAnyException();
    }
}
