package dev.caxton.fipa;

import dev.caxton.fipa.acl.AclCodec;
import dev.caxton.fipa.acl.AclMessage;
import dev.caxton.fipa.acl.AclParseException;
import dev.caxton.fipa.acl.Aid;
import dev.caxton.fipa.envelope.FipaEnvelope;
import dev.caxton.fipa.mtp.MtpBody;
import dev.caxton.fipa.mtp.MtpClient;
import dev.caxton.fipa.mtp.MtpServer;
import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.NodeException;
import dev.caxton.runtime.api.RoutingException;
import dev.caxton.runtime.api.SendStatus;
import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.routing.ExternalRoutes;
import dev.caxton.runtime.routing.RemoteRoutes;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * Connects a node to other FIPA platforms over the HTTP MTP, both ways.
 *
 * <p><b>In:</b> a message for {@code name@<fipa.platform_name>} is handed to the node as coming from
 * its external sender ({@code x@otherplatform}, never a local name: a sender without a platform, or
 * claiming this platform, is refused), so it reaches agent {@code name} here or anywhere in the
 * cluster, or a waiting API client. The sender's addresses are remembered so the reply finds its
 * way back. A receiver that does not exist gets what JADE sends in that case: a {@code failure} from
 * {@code ams@<platform_name>}.
 *
 * <p><b>Out:</b> as the router's {@link ExternalRoutes}, it takes receivers {@code name@platform},
 * finds the platform's MTP address in {@code fipa.platforms} (or among the addresses a peer sent),
 * and posts the message in the background. A peer that cannot be reached or refuses the message
 * yields a {@code failure} to the Caxton sender.
 */
public final class FipaBridge implements ExternalRoutes, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(FipaBridge.class.getName());
    private static final int ADDRESS_BOOK_SIZE = 10_000;

    private final CaxtonNode node;
    private final String platform;
    private final Map<String, String> platforms;
    private final Set<String> allowed;
    private final Duration sendTimeout;
    private final Semaphore inFlight;
    private final int maxInFlight;
    private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();
    private final MtpServer server;
    /** The listener's certificate and key, reloaded while it runs; null on plain HTTP. */
    private final dev.caxton.runtime.tls.WatchedPemPair<javax.net.ssl.X509ExtendedKeyManager> tls;
    private final String publicUrl;
    /** Addresses peers gave for their agents, newest kept, so replies reach agents of unlisted platforms. */
    private final Map<String, List<String>> addressBook = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<String>> eldest) {
            return size() > ADDRESS_BOOK_SIZE;
        }
    };

    private final LongAdder received = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder sendFailures = new LongAdder();
    private final LongAdder refusedPlatform = new LongAdder();
    private final LongAdder refusedSender = new LongAdder();
    private final LongAdder refusedPayload = new LongAdder();
    private final LongAdder unknownReceivers = new LongAdder();
    private final LongAdder refusedBusy = new LongAdder();

    private FipaBridge(CaxtonNode node, CaxtonConfig config) throws IOException {
        this.node = node;
        this.platform = config.string("fipa.platform_name");
        this.platforms = Map.copyOf(config.fipaPlatforms());
        this.allowed = Set.copyOf(config.list("fipa.http_mtp.allowed_platforms"));
        this.sendTimeout = config.duration("fipa.http_mtp.send_timeout");
        this.maxInFlight = (int) config.integer("fipa.http_mtp.max_in_flight");
        this.inFlight = new Semaphore(maxInFlight);
        this.tls = dev.caxton.fipa.mtp.PemTls.watch(config.string("fipa.http_mtp.tls.cert_file"),
                config.string("fipa.http_mtp.tls.key_file"), java.time.Clock.systemUTC());
        this.server = MtpServer.start(config.string("fipa.http_mtp.host"), (int) config.integer("fipa.http_mtp.port"),
                config.size("fipa.http_mtp.max_body_size"), (int) config.integer("fipa.http_mtp.max_connections"),
                config.duration("fipa.http_mtp.request_timeout"),
                tls == null ? null : dev.caxton.fipa.mtp.PemTls.serverContext(tls), this::handle);
        String configured = config.string("fipa.http_mtp.public_url");
        InetSocketAddress a = server.address();
        String scheme = config.string("fipa.http_mtp.tls.cert_file").isBlank() ? "http" : "https";
        this.publicUrl = configured.isBlank()
                ? scheme + "://" + hostForUrl(config.string("fipa.http_mtp.host")) + ":" + a.getPort() + "/acc"
                : configured;
    }

    /**
     * Starts the MTP endpoint and connects the node's router to it.
     *
     * @param node   the node
     * @param config its configuration ({@code fipa.*})
     * @return the running bridge
     * @throws IOException when the MTP address cannot be bound
     */
    public static FipaBridge start(CaxtonNode node, CaxtonConfig config) throws IOException {
        FipaBridge b = new FipaBridge(node, config);
        node.externalRoutes(b);
        LOG.log(System.Logger.Level.INFO, "FIPA HTTP MTP of platform {0} at {1}", b.platform, b.publicUrl);
        return b;
    }

    /**
     * The MTP's TLS pair, or null on plain HTTP: the server polls it at {@code server.tls.reload_interval},
     * reloads it on {@code POST /api/v1/tls/reload} and exports its expiry.
     *
     * @return the watched certificate and key of the MTP listener, or null
     */
    @SuppressWarnings("exports") // the watcher's package is exported to the server, the caller
    public dev.caxton.runtime.tls.WatchedPemPair<?> tls() {
        return tls;
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** @return this platform's MTP address as given to peers */
    public String address() {
        return publicUrl;
    }

    /** @return the bound port */
    public int port() {
        return server.address().getPort();
    }

    // ------------------------------------------------------------------ ingress

    private MtpServer.Outcome handle(MtpBody.Decoded d) {
        FipaEnvelope env = d.envelope();
        if (env.aclRepresentation() != null && !env.aclRepresentation().isBlank()
                && !env.aclRepresentation().strip().equalsIgnoreCase(FipaEnvelope.STRING_REPRESENTATION)) {
            refusedPayload.increment();
            return new MtpServer.Refuse(400, "acl-representation '" + env.aclRepresentation()
                    + "' is not supported; this platform reads " + FipaEnvelope.STRING_REPRESENTATION);
        }
        AclMessage m;
        try {
            m = AclCodec.parse(new String(d.payload(), d.charset()));
        } catch (AclParseException e) {
            refusedPayload.increment();
            return new MtpServer.Refuse(400, "the ACL payload is not a valid message: " + e.getMessage());
        }
        Aid sender = m.sender() != null ? m.sender() : env.from();
        if (sender == null) {
            refusedSender.increment();
            return new MtpServer.Refuse(400, "the message names no sender (neither :sender nor the envelope's from)");
        }
        String senderPlatform = sender.platform();
        if (senderPlatform == null || senderPlatform.isEmpty() || sender.localName().isEmpty()) {
            refusedSender.increment();
            return new MtpServer.Refuse(400, "sender '" + sender.name() + "' is not of the form name@platform");
        }
        if (senderPlatform.equals(platform)) {
            // Only this node speaks for its platform: a peer claiming one of its names is refused.
            refusedSender.increment();
            return new MtpServer.Refuse(403, "sender '" + sender.name() + "' claims this platform ('" + platform
                    + "'); messages from other platforms must come from their own agents");
        }
        if (!allowed.isEmpty() && !allowed.contains(senderPlatform)) {
            refusedPlatform.increment();
            return new MtpServer.Refuse(403, "platform '" + senderPlatform
                    + "' is not in fipa.http_mtp.allowed_platforms");
        }
        AclMessage message = m.sender() == null ? withSender(m, sender) : m;
        List<Aid> receivers = env.deliverTo().isEmpty() ? m.receivers() : env.deliverTo();
        List<String> local = new ArrayList<>();
        for (Aid r : receivers) {
            if (platform.equals(r.platform()) && !r.localName().isEmpty()) {
                local.add(r.localName());
            }
        }
        if (local.isEmpty()) {
            refusedPayload.increment();
            return new MtpServer.Refuse(400, "no receiver of this message is on platform '" + platform + "'");
        }
        List<String> replyAddresses = new ArrayList<>(sender.addresses());
        if (env.from() != null && env.from().name().equals(sender.name())) {
            env.from().addresses().stream().filter(u -> !replyAddresses.contains(u)).forEach(replyAddresses::add);
        }
        remember(sender.name(), replyAddresses);
        received.increment();
        return new MtpServer.Accept(() -> {
            for (String name : new LinkedHashSet<>(local)) {
                deliver(message, name);
            }
        });
    }

    private static AclMessage withSender(AclMessage m, Aid sender) {
        return new AclMessage(m.performative(), sender, m.receivers(), m.replyTo(), m.content(), m.language(),
                m.encoding(), m.ontology(), m.protocol(), m.conversationId(), m.replyWith(), m.inReplyTo(),
                m.replyBy(), m.userParams());
    }

    private void deliver(AclMessage m, String name) {
        try {
            node.receiveExternal(FipaMapping.toCaxton(m, name));
        } catch (RoutingException e) {
            if (e.status() == SendStatus.UNKNOWN_RECEIVER) {
                unknownReceivers.increment();
            }
            failBack(m, name, e.getMessage());
        } catch (NodeException e) {
            failBack(m, name, e.getMessage());
        }
    }

    /** The failure JADE's AMS sends when it cannot deliver: from ams@platform, in fipa-sl. */
    private void failBack(AclMessage m, String name, String why) {
        Aid ams = new Aid("ams@" + platform, List.of(publicUrl), List.of(), Map.of());
        String content = "((action (agent-identifier :name ams@" + platform + ") (send-message))"
                + " (MTS-error (agent-identifier :name " + name + "@" + platform + ") (internal-error \""
                + why.replace("\\", "\\\\").replace("\"", "\\\"") + "\")))";
        AclMessage failure = new AclMessage("failure", ams, List.of(m.sender()), List.of(), content, "fipa-sl",
                null, "FIPA-Agent-Management", m.protocol(), m.conversationId(), null, m.replyWith(), null, Map.of());
        List<String> addresses = addressesOf(m.sender().name());
        if (addresses.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "cannot tell {0} that {1} failed: no address", m.sender().name(), why);
            return;
        }
        post(failure, m.sender(), addresses, null);
    }

    private void remember(String name, List<String> addresses) {
        if (addresses.isEmpty()) {
            return;
        }
        synchronized (addressBook) {
            addressBook.put(name, List.copyOf(addresses));
        }
    }

    private List<String> addressesOf(String aidName) {
        List<String> out = new ArrayList<>();
        synchronized (addressBook) {
            List<String> known = addressBook.get(aidName);
            if (known != null) {
                out.addAll(known);
            }
        }
        int at = aidName.lastIndexOf('@');
        String configured = at < 0 ? null : platforms.get(aidName.substring(at + 1));
        if (configured != null && !out.contains(configured)) {
            // The configured address comes first: it is the operator's word, a sent one only the peer's.
            out.addFirst(configured);
        }
        return out;
    }

    // ------------------------------------------------------------------ egress

    @Override
    public boolean handles(String receiver) {
        int at = receiver.lastIndexOf('@');
        return at > 0 && at < receiver.length() - 1;
    }

    @Override
    public RemoteRoutes.Refusal send(Envelope e) {
        String receiver = e.receiver();
        int at = receiver.lastIndexOf('@');
        String peer = receiver.substring(at + 1);
        if (peer.equals(platform)) {
            // An agent of this platform by its full name: delivered here like any local message.
            node.deliverNotice(e.withReceiver(receiver.substring(0, at)));
            return null;
        }
        List<String> addresses = addressesOf(receiver);
        if (addresses.isEmpty()) {
            return new RemoteRoutes.Refusal(SendStatus.UNKNOWN_RECEIVER, "no MTP address is known for platform '"
                    + peer + "' (add it under fipa.platforms)");
        }
        String from = e.sender() == null ? "caxton" : e.sender();
        Aid sender = from.indexOf('@') > 0 ? Aid.of(from) : Aid.of(from + "@" + platform, publicUrl);
        AclMessage acl;
        try {
            acl = FipaMapping.toAcl(e, sender, Aid.of(receiver, addresses.toArray(String[]::new)));
        } catch (IllegalArgumentException ex) {
            return new RemoteRoutes.Refusal(SendStatus.MALFORMED, ex.getMessage());
        }
        if (!post(acl, acl.receivers().getFirst(), addresses, e)) {
            refusedBusy.increment();
            return new RemoteRoutes.Refusal(SendStatus.QUEUE_FULL, "already " + maxInFlight
                    + " messages on their way to other platforms (fipa.http_mtp.max_in_flight)");
        }
        return null;
    }

    /**
     * Posts a message in the background, trying the addresses in order.
     *
     * @param original the Caxton envelope it came from (to tell its sender of a failure), or null
     * @return false when too many are already on their way
     */
    private boolean post(AclMessage m, Aid receiver, List<String> addresses, Envelope original) {
        if (!inFlight.tryAcquire()) {
            return false;
        }
        byte[] payload = AclCodec.print(m).getBytes(StandardCharsets.UTF_8);
        FipaEnvelope env = new FipaEnvelope(List.of(receiver), m.sender(), null, FipaEnvelope.STRING_REPRESENTATION,
                (long) payload.length, "UTF-8", Instant.now(), List.of(receiver), List.of());
        MtpBody.Encoded body = MtpBody.encode(env, payload);
        senders.execute(() -> {
            try {
                String problem = null;
                for (String a : addresses) {
                    try {
                        int status = MtpClient.post(URI.create(a), body, sendTimeout);
                        if (status == 200) {
                            sent.increment();
                            return;
                        }
                        problem = "the platform at " + a + " answered HTTP " + status;
                    } catch (IOException | IllegalArgumentException ex) {
                        problem = "the platform at " + a + " could not be reached: " + ex.getMessage();
                    }
                }
                sendFailures.increment();
                LOG.log(System.Logger.Level.INFO, "message for {0} not delivered: {1}", receiver.name(), problem);
                if (original != null && original.sender() != null && original.sender().indexOf('@') < 0) {
                    node.deliverNotice(Envelope.builder(Performative.FAILURE).sender(original.receiver())
                            .receiver(original.sender()).conversationId(original.conversationId())
                            .inReplyTo(original.replyWith()).protocol(original.protocol()).hops(original.nextHop())
                            .content(Map.of("reason", "unreachable", "detail", problem)).build());
                }
            } finally {
                inFlight.release();
            }
        });
        return true;
    }

    // ------------------------------------------------------------------ metrics

    /**
     * The bridge's counters, for the metrics endpoint.
     *
     * @return counter name (without prefix) to value
     */
    public Map<String, Long> counters() {
        Map<String, Long> c = new LinkedHashMap<>();
        c.put("received", received.sum());
        c.put("sent", sent.sum());
        c.put("send_failures", sendFailures.sum());
        c.put("unknown_receivers", unknownReceivers.sum());
        c.put("refused_malformed", server.malformedCount() + refusedPayload.sum());
        c.put("refused_too_large", server.tooLargeCount());
        c.put("refused_sender", refusedSender.sum());
        c.put("refused_platform", refusedPlatform.sum());
        c.put("refused_busy", refusedBusy.sum());
        return c;
    }

    /** Disconnects from the router and stops the endpoint and the senders. */
    @Override
    public void close() {
        node.externalRoutes(null);
        server.close();
        senders.shutdownNow();
    }
}
