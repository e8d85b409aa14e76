package dev.caxton.testkit.membership;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caxton.spi.membership.MembershipDatagrams;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RealTimeNetworkTest {

    private static InetSocketAddress at(int last) throws Exception {
        return new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 78, 0, (byte) last}), 7000);
    }

    private static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void packetsSentFromManyThreadsArriveOnTheDriverThreadAndAReplyFromTheReceiverDoesNotDeadlock() throws Exception {
        VirtualClock clock = new VirtualClock(0);
        SimulatedNetwork sim = new SimulatedNetwork(clock, 1).delay(1, 3);
        try (RealTimeNetwork net = new RealTimeNetwork(clock, sim).start()) {
            MembershipDatagrams d = net.datagrams();
            List<String> atB = new CopyOnWriteArrayList<>();
            AtomicReference<Thread> receiverThread = new AtomicReference<>();
            CountDownLatch echoes = new CountDownLatch(40);
            AtomicReference<MembershipDatagrams.Socket> b = new AtomicReference<>();
            MembershipDatagrams.Socket a = d.bind(at(1), (from, p) -> echoes.countDown());
            b.set(d.bind(at(2), (from, p) -> {
                receiverThread.set(Thread.currentThread());
                atB.add(StandardCharsets.UTF_8.decode(p).toString());
                // Answering from inside the receiver is what a protocol does; it must not deadlock.
                b.get().send(from, text("ack"));
            }));
            Thread[] senders = new Thread[4];
            for (int t = 0; t < senders.length; t++) {
                int id = t;
                senders[t] = Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 10; i++) {
                        a.send(b.get().localAddress(), text(id + ":" + i));
                    }
                });
            }
            for (Thread t : senders) {
                t.join();
            }
            assertThat(echoes.await(60, TimeUnit.SECONDS)).as("every packet answered").isTrue();
            assertThat(atB).hasSize(40);
            assertThat(receiverThread.get().getName()).isEqualTo("real-time-network");
        }
    }

    @Test
    void aPartitionMadeUnderTheLockStopsPacketsAndAHealLetsThemThrough() throws Exception {
        VirtualClock clock = new VirtualClock(0);
        SimulatedNetwork sim = new SimulatedNetwork(clock, 2).delay(1, 1);
        try (RealTimeNetwork net = new RealTimeNetwork(clock, sim).start()) {
            List<String> got = new CopyOnWriteArrayList<>();
            MembershipDatagrams.Socket a = net.datagrams().bind(at(1), (f, p) -> { });
            MembershipDatagrams.Socket b = net.datagrams().bind(at(2),
                    (f, p) -> got.add(StandardCharsets.UTF_8.decode(p).toString()));
            net.locked(() -> sim.partition(1, List.of(b.localAddress())));
            a.send(b.localAddress(), text("lost"));
            long sentAt = net.now();
            // Wait (in virtual time, which follows real time) past the longest delay, so "lost" had its chance.
            while (net.now() < sentAt + 20) {
                Thread.sleep(5);
            }
            net.locked(sim::heal);
            a.send(b.localAddress(), text("through"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(got).containsExactly("through");
            assertThat(net.locked(sim::delivered)).isEqualTo(1L);
        }
    }
}
